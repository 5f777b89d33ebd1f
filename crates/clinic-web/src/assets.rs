//! The stylesheet and the script, compiled into the binary: nothing is fetched from
//! elsewhere, and the service runs from its one file.

pub struct Asset {
    /// Where the pages link it.
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static str,
}

pub const STYLESHEET: Asset = Asset {
    path: "/assets/clinic.css",
    content_type: "text/css; charset=utf-8",
    body: include_str!("../assets/clinic.css"),
};

pub const SCRIPT: Asset = Asset {
    path: "/assets/clinic.js",
    content_type: "text/javascript; charset=utf-8",
    body: include_str!("../assets/clinic.js"),
};

pub const ALL: [Asset; 2] = [STYLESHEET, SCRIPT];

/// The asset served at `path`.
pub fn at(path: &str) -> Option<&'static Asset> {
    ALL.iter().find(|asset| asset.path == path)
}

/// A validator for caches: changes whenever the asset does (FNV-1a of its bytes).
pub fn etag(asset: &Asset) -> String {
    let hash = asset.body.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
        (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}
