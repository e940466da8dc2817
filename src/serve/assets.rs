//! The web page, embedded in the binary: one table of files with their content types,
//! served with an ETag (a hash of the bytes) so a browser revalidates cheaply and never
//! runs a stale script after an upgrade. No CDN: the page works offline.

use std::sync::LazyLock;

/// One embedded file of the page.
pub struct Asset {
    /// The URL path it is served at.
    pub path: &'static str,
    pub content_type: &'static str,
    pub body: &'static [u8],
}

/// Every file of the page. `/` is `index.html`.
pub const ASSETS: &[Asset] = &[
    Asset { path: "/", content_type: "text/html; charset=utf-8", body: include_bytes!("../../web/index.html") },
    Asset {
        path: "/index.html",
        content_type: "text/html; charset=utf-8",
        body: include_bytes!("../../web/index.html"),
    },
    Asset { path: "/app.js", content_type: "text/javascript; charset=utf-8", body: include_bytes!("../../web/app.js") },
    Asset { path: "/app.css", content_type: "text/css; charset=utf-8", body: include_bytes!("../../web/app.css") },
];

/// The ETag of each asset, in [`ASSETS`] order.
static ETAGS: LazyLock<Vec<String>> =
    LazyLock::new(|| ASSETS.iter().map(|a| format!("\"{}\"", &blake3::hash(a.body).to_hex()[..16])).collect());

/// The asset served at `path`, with its ETag.
pub fn find(path: &str) -> Option<(&'static Asset, &'static str)> {
    ASSETS.iter().position(|a| a.path == path).map(|i| (&ASSETS[i], ETAGS[i].as_str()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_asset_is_found_with_a_stable_etag() {
        for asset in ASSETS {
            let (found, etag) = find(asset.path).unwrap();
            assert_eq!(found.body, asset.body);
            assert!(etag.starts_with('"') && etag.len() == 18, "{etag}");
        }
        assert_eq!(find("/").unwrap().1, find("/index.html").unwrap().1);
        assert!(find("/../Cargo.toml").is_none());
    }
}
