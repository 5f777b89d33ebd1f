//! Migrations are embedded into the binary: rebuild when they change, and give the
//! test support a fingerprint of them to name its template database by.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::{fs, io};

fn main() -> io::Result<()> {
    let migrations = Path::new("../../migrations");
    println!("cargo:rerun-if-changed={}", migrations.display());
    let mut files = Vec::new();
    for dir in fs::read_dir(migrations)? {
        let dir = dir?.path();
        println!("cargo:rerun-if-changed={}", dir.display());
        for file in fs::read_dir(&dir)? {
            files.push(file?.path());
        }
    }
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in &files {
        file.hash(&mut hasher);
        fs::read(file)?.hash(&mut hasher);
    }
    println!("cargo:rustc-env=CLINIC_MIGRATIONS_FINGERPRINT={:016x}", hasher.finish());
    Ok(())
}
