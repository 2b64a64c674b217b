//! Container images: compressed sizes of common images (as pulled for linux/amd64), so a pull
//! takes as long as its bytes need on the node's link.

/// The image's name without registry, path, tag or digest: `registry.k8s.io/pause:3.10` →
/// `pause`.
pub fn base_name(image: &str) -> &str {
    let last = image.rsplit('/').next().unwrap_or(image);
    last.split([':', '@']).next().unwrap_or(last)
}

/// Compressed size in bytes of well-known images; others count as 50 MB.
pub fn image_size(image: &str) -> u64 {
    let mb = match base_name(image) {
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

/// The repository and tag of a reference, fully qualified as containerd names it:
/// `nginx` → (`docker.io/library/nginx`, `latest`).
fn qualified(image: &str) -> (String, String) {
    let repo = image.split('@').next().unwrap_or(image);
    let (repo, tag) = match repo.rsplit_once(':') {
        Some((r, tag)) if !tag.contains('/') => (r, tag),
        _ => (repo, "latest"),
    };
    let repo = match repo.split_once('/') {
        None => format!("docker.io/library/{repo}"),
        Some((host, _)) if host.contains('.') || host.contains(':') || host == "localhost" => repo.to_string(),
        Some(_) => format!("docker.io/{repo}"),
    };
    (repo, tag.to_string())
}

/// The digest reference the runtime reports as imageID: `docker.io/library/nginx@sha256:…`.
pub fn image_id(image: &str) -> String {
    let (repo, _) = qualified(image);
    format!("{repo}@sha256:{}", hex_id(&repo))
}

/// nodeStatusMaxImages: the node status lists at most this many images, largest first.
pub const NODE_STATUS_MAX_IMAGES: usize = 50;

/// The node status `images` entry of a pulled image: its digest and tag references
/// (containerd's RepoDigests and RepoTags) and its size.
pub fn node_image(image: &str) -> crate::sim::api::ContainerImage {
    let (repo, tag) = qualified(image);
    crate::sim::api::ContainerImage {
        names: vec![image_id(image), format!("{repo}:{tag}")],
        size_bytes: image_size(image) as i64,
    }
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
