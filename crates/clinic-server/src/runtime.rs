//! The embedded default: with no `DATABASE_URL`, a private PostgreSQL under the data
//! directory; in dev mode with no `AUTH_JWT_SECRET`, a generated dev secret kept beside it.

use std::fs;
use std::io::{self, Read};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

use clinic_postgres::cluster::{ClusterOptions, LocalCluster};

use crate::config::{Config, ConfigError, Secret};

/// The database the service runs on; the embedded cluster stops when this is dropped.
pub struct Database {
    pub url: String,
    cluster: Option<LocalCluster>,
}

impl Database {
    /// `DATABASE_URL`'s database, or the embedded cluster's `clinic` database
    /// (started, and on first use created, here).
    pub fn open(config: &Config) -> Result<Self, Box<dyn std::error::Error>> {
        if let Some(url) = &config.database_url {
            return Ok(Self { url: url.expose().to_owned(), cluster: None });
        }
        let cluster = LocalCluster::start(&ClusterOptions {
            dir: config.data_dir.join("postgres"),
            durable: true,
            max_connections: 100,
        })?;
        clinic_postgres::create_database(&cluster.database_url("postgres"), "clinic")?;
        Ok(Self { url: cluster.database_url("clinic"), cluster: Some(cluster) })
    }

    /// Where the data lives, for the start-up banner.
    pub fn describe(&self) -> String {
        match &self.cluster {
            Some(cluster) => format!("embedded PostgreSQL in {}", cluster.dir().display()),
            None => "DATABASE_URL".into(),
        }
    }

    /// Stops the embedded cluster, if this process started it.
    pub fn stop(mut self) {
        if let Some(mut cluster) = self.cluster.take() {
            if let Err(e) = cluster.stop() {
                log::warn!("stopping the embedded PostgreSQL: {e}");
            }
        }
    }
}

/// `AUTH_JWT_SECRET`, and whether the dev conveniences are on: without the secret, on the
/// embedded database or with `CLINIC_DEV=1`, a random secret generated once and kept (0600)
/// in the data directory, so tokens survive restarts. With `DATABASE_URL` and neither, an
/// error: a production instance must not mint its own secret and print tokens.
pub fn jwt_secret(config: &Config) -> Result<(Secret, bool), Box<dyn std::error::Error>> {
    if let Some(secret) = &config.jwt_secret {
        return Ok((secret.clone(), false));
    }
    if config.database_url.is_some() && !config.dev {
        return Err(Box::new(ConfigError {
            variable: "AUTH_JWT_SECRET",
            problem: "must be set when DATABASE_URL is set (or set CLINIC_DEV=1 for a development instance)"
                .into(),
        }));
    }
    Ok((dev_secret(&config.data_dir)?, true))
}

fn dev_secret(data_dir: &Path) -> io::Result<Secret> {
    let path = data_dir.join("dev-jwt-secret");
    match fs::read_to_string(&path) {
        Ok(secret) if !secret.trim().is_empty() => return Ok(Secret::new(secret.trim())),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fs::create_dir_all(data_dir)?;
    let secret = random_hex(32)?;
    write_private(&path, &secret)?;
    log::info!("generated a dev JWT secret in {}", path.display());
    Ok(Secret::new(secret))
}

fn random_hex(bytes: usize) -> io::Result<String> {
    let mut buf = vec![0; bytes];
    fs::File::open("/dev/urandom")?.read_exact(&mut buf)?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

fn write_private(path: &Path, content: &str) -> io::Result<()> {
    use std::io::Write;
    let mut file = fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(path)?;
    file.set_permissions(fs::Permissions::from_mode(0o600))?;
    file.write_all(content.as_bytes())
}
