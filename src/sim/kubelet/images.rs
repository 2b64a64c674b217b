//! Container images: compressed sizes of common images (as pulled for linux/amd64), so a pull
//! takes as long as its bytes need on the node's link.

/// Compressed size in bytes of well-known images; others count as 50 MB.
pub fn image_size(image: &str) -> u64 {
    let repo = image.rsplit('/').next().unwrap_or(image);
    let name = repo.split([':', '@']).next().unwrap_or(repo);
    let mb = match name {
        "nginx" => 72,
        "busybox" => 2,
        "alpine" => 4,
        "redis" => 45,
        "httpd" => 58,
        "postgres" => 150,
        "mysql" => 170,
        "python" => 380,
        "node" => 390,
        "pause" => 1,
        _ => 50,
    };
    mb * 1_000_000
}

/// The image reference with the implicit `:latest` tag made explicit.
pub fn normalize(image: &str) -> String {
    let last = image.rsplit('/').next().unwrap_or(image);
    if last.contains(':') || last.contains('@') {
        image.to_string()
    } else {
        format!("{image}:latest")
    }
}
