//! The bytes of a request's and a response's headers in each HTTP version: HTTP/1.x text,
//! HTTP/2 HPACK with the connection's 4 KiB dynamic table and Huffman-coded literals
//! (httlib-hpack), HTTP/3 QPACK with RFC 9204's default dynamic table capacity of 0 (static
//! table and Huffman literals, sized here with HPACK's static table).

use httlib_hpack::Encoder;

/// The headers kubectl sends for a GET, and what kube-apiserver answers (names as HTTP/2
/// writes them; HTTP/1.x capitalises them).
pub fn request(path: &str) -> Vec<(String, String)> {
    [
        (":method", "GET"),
        (":scheme", "https"),
        (":authority", "10.0.0.10:6443"),
        (":path", path),
        ("accept", "application/json, */*"),
        ("user-agent", "kubectl/v1.32.0 (linux/amd64) kubernetes/70d3cc9"),
        ("authorization", "Bearer eyJhbGciOiJIUzI1NiIsImtpZCI6InNpbSJ9.c2ltdWxhdGVk.c2lnbmF0dXJl"),
        ("accept-encoding", "gzip"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect()
}

pub fn response(body: usize, audit_id: u64) -> Vec<(String, String)> {
    vec![
        (":status".into(), "200".into()),
        ("audit-id".into(), format!("{audit_id:08x}-4f3a-4c2e-9b1d-5e6f7a8b9c0d")),
        ("cache-control".into(), "no-cache, private".into()),
        ("content-type".into(), "application/json".into()),
        ("x-kubernetes-pf-flowschema-uid".into(), "4c3f2a1b-0d9e-4f8a-b7c6-d5e4f3a2b1c0".into()),
        ("x-kubernetes-pf-prioritylevel-uid".into(), "9e8d7c6b-5a4f-4e3d-a2c1-b0a9f8e7d6c5".into()),
        ("date".into(), "Fri, 01 Jan 2027 00:00:05 GMT".into()),
        ("content-length".into(), body.to_string()),
    ]
}

/// HTTP/1.x: the start line, `Name: value` lines and the blank line.
pub fn http1(headers: &[(String, String)], version: &str) -> usize {
    let mut n = 0;
    let get = |k: &str| headers.iter().find(|(n, _)| n == k).map(|(_, v)| v.as_str()).unwrap_or_default();
    if headers.iter().any(|(k, _)| k == ":status") {
        n += format!("{version} {} OK\r\n", get(":status")).len();
    } else {
        n += format!("{} {} {version}\r\nHost: {}\r\n", get(":method"), get(":path"), get(":authority")).len();
    }
    for (k, v) in headers.iter().filter(|(k, _)| !k.starts_with(':')) {
        n += k.len() + 2 + v.len() + 2;
    }
    n + 2
}

/// A header block compressor for one connection's direction.
pub struct Compressor {
    hpack: Encoder<'static>,
    flags: u8,
    /// QPACK's field section prefix (Required Insert Count, Base): two bytes.
    prefix: usize,
}

impl Compressor {
    /// HTTP/2: HPACK with the default 4,096-byte dynamic table.
    pub fn hpack() -> Compressor {
        let flags = Encoder::HUFFMAN_NAME | Encoder::HUFFMAN_VALUE | Encoder::WITH_INDEXING | Encoder::BEST_FORMAT;
        Compressor { hpack: Encoder::with_dynamic_size(4096), flags, prefix: 0 }
    }

    /// HTTP/3: QPACK with the dynamic table off (the static table only).
    pub fn qpack() -> Compressor {
        let flags = Encoder::HUFFMAN_NAME | Encoder::HUFFMAN_VALUE | Encoder::BEST_FORMAT;
        Compressor { hpack: Encoder::with_dynamic_size(0), flags, prefix: 2 }
    }

    pub fn block(&mut self, headers: &[(String, String)]) -> usize {
        let mut out = Vec::new();
        for (k, v) in headers {
            // Only an oversized table update can fail; a header that cannot be written
            // counts as its literal size.
            let field = (k.as_bytes().to_vec(), v.as_bytes().to_vec(), self.flags);
            if self.hpack.encode(field, &mut out).is_err() {
                out.resize(out.len() + 2 + k.len() + v.len(), 0);
            }
        }
        out.len() + self.prefix
    }
}
