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

/// 64 hex digits derived from `seed`: the shape of container IDs and image digests. The
/// simulation has no image content to hash, so the digest stands for the image's name.
pub fn hex_id(seed: &str) -> String {
    (0u8..4).map(|salt| format!("{:016x}", crate::sim::rng::fnv1a64(format!("{salt}{seed}").as_bytes()))).collect()
}

/// The digest reference the runtime reports as imageID: `docker.io/library/nginx@sha256:…`.
pub fn image_id(image: &str) -> String {
    let repo = image.split('@').next().unwrap_or(image);
    let repo = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => r,
        _ => repo,
    };
    let qualified = match repo.split_once('/') {
        None => format!("docker.io/library/{repo}"),
        Some((host, _)) if host.contains('.') || host.contains(':') || host == "localhost" => repo.to_string(),
        Some(_) => format!("docker.io/{repo}"),
    };
    format!("{qualified}@sha256:{}", hex_id(&qualified))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_ids_are_fully_qualified_digests() {
        let id = image_id("nginx:1.27");
        assert!(id.starts_with("docker.io/library/nginx@sha256:"), "{id}");
        assert_eq!(id.len(), "docker.io/library/nginx@sha256:".len() + 64);
        assert!(image_id("registry.k8s.io/pause:3.10").starts_with("registry.k8s.io/pause@sha256:"));
        assert!(image_id("bitnami/redis").starts_with("docker.io/bitnami/redis@sha256:"));
    }
}
