//! The four HTTP versions over one link: timing identities on a lossless link, where one lost
//! packet stalls whom, header compression, and JSON against protobuf.

use kube_playground::sim::transport::wire::Link;
use kube_playground::sim::transport::{run, Options, Protocol};

const RTT: u64 = 40_000;

fn link() -> Link {
    Link { rtt_us: RTT, bandwidth: 12_500_000, ..Link::default() }
}

fn small(requests: usize) -> Options {
    Options { requests, response_bytes: 1_000, server_us: 0, connections: 1, ..Options::default() }
}

#[test]
fn http10_pays_the_handshakes_for_every_request() {
    let n = 5;
    let out = run(Protocol::Http10, link(), small(n));
    assert_eq!(out.connections, n);
    // TCP (1 RTT) + TLS 1.3 (1 RTT) + the request and its response (1 RTT), sequentially;
    // serialization of the handshake flights and the pages adds well under 10 %.
    let ideal = n as u64 * 3 * RTT;
    assert!(out.total_us >= ideal && out.total_us < ideal * 11 / 10, "{} vs {ideal}", out.total_us);
    // HTTP/1.1 keeps the connection: one handshake, then one RTT per request.
    let kept = run(Protocol::Http11, link(), small(n));
    assert_eq!(kept.connections, 1);
    let ideal = (2 + n as u64) * RTT;
    assert!(kept.total_us >= ideal && kept.total_us < ideal * 11 / 10, "{} vs {ideal}", kept.total_us);
}

#[test]
fn multiplexing_needs_one_connection_and_about_one_round_trip() {
    // Twelve half-kilobyte responses fit in the initial window: no slow-start round trip.
    let n = 12;
    let small = |n| Options { response_bytes: 500, ..small(n) };
    let h2 = run(Protocol::Http2, link(), small(n));
    assert_eq!(h2.connections, 1);
    assert!(h2.total_us > 3 * RTT && h2.total_us < 3 * RTT + RTT / 10, "{}", h2.total_us);
    let h3 = run(Protocol::Http3, link(), small(n));
    // Its handshake flights take a fraction of a millisecond on the link.
    assert!(h3.handshake_us > RTT && h3.handshake_us < RTT + 1_000, "{}", h3.handshake_us);
    assert!(h3.total_us < h2.total_us - RTT * 9 / 10, "QUIC saves a round trip: {} vs {}", h3.total_us, h2.total_us);
    let resumed = run(Protocol::Http3, link(), Options { resumed: true, ..small(n) });
    assert!(resumed.total_us < h3.total_us - RTT * 9 / 10, "0-RTT saves another: {}", resumed.total_us);
    // Six HTTP/1.1 connections, each paying its handshake.
    let h1 = run(Protocol::Http11, link(), Options { connections: 6, ..small(n) });
    assert_eq!(h1.connections, 6);
}

#[test]
fn one_lost_packet_stalls_every_http2_stream_but_one_http3_stream() {
    let opts = Options { requests: 6, response_bytes: 30_000, server_us: 0, ..Options::default() };
    for protocol in [Protocol::Http2, Protocol::Http3] {
        let clean = run(protocol, link(), opts.clone());
        // Lose a packet in the last round of the interleaved responses.
        let lossy = run(protocol, Link { lose: vec![clean.data_packets - 8], ..link() }, opts.clone());
        assert_eq!(lossy.retransmits, 1);
        // Later by more than the retransmission's own time on the link.
        let later: Vec<bool> =
            clean.requests.iter().zip(&lossy.requests).map(|(a, b)| b.done > a.done + RTT / 4).collect();
        let stalled: Vec<bool> = lossy.requests.iter().map(|t| t.stalled).collect();
        assert_eq!(later, stalled, "{protocol:?}: the stalled ones are the late ones");
        match protocol {
            // Transport head-of-line blocking: TCP holds every later byte.
            Protocol::Http2 => assert!(later.iter().all(|l| *l), "{protocol:?}: {later:?}"),
            // Only the stream that lost the packet waits.
            _ => assert_eq!(later.iter().filter(|l| **l).count(), 1, "{protocol:?}: {later:?}"),
        }
    }
}

#[test]
fn pipelined_responses_wait_for_the_one_before() {
    let opts = Options {
        requests: 4,
        response_bytes: 200_000,
        server_us: 0,
        connections: 1,
        pipelining: true,
        ..Options::default()
    };
    let out = run(Protocol::Http11, link(), opts);
    // All four went out together; each response starts only after the previous one ends.
    assert!(out.requests.iter().all(|t| t.sent == out.requests[0].sent));
    for w in out.requests.windows(2) {
        assert!(w[1].first_byte >= w[0].done, "{:?}", out.requests);
    }
}

#[test]
fn hpack_shrinks_the_repeated_headers() {
    let out = run(Protocol::Http2, link(), small(3));
    let sizes: Vec<usize> = out.requests.iter().map(|t| t.header_bytes).collect();
    assert!(sizes[1] < sizes[0] / 2, "{sizes:?}");
    let h1 = run(Protocol::Http11, link(), small(3));
    assert!(h1.requests.iter().all(|t| t.header_bytes == h1.requests[0].header_bytes));
    assert!(h1.requests[0].header_bytes > sizes[0], "text headers are the largest");
    // QPACK without a dynamic table does not shrink them.
    let h3 = run(Protocol::Http3, link(), small(3));
    assert_eq!(h3.requests[1].header_bytes, h3.requests[0].header_bytes);
}

#[test]
fn http11_sends_a_large_response_chunked_as_go_does() {
    // Go's server buffers 2 KB: a larger body without Content-Length goes chunked, one chunk
    // per write: "4e20" CRLF, the 20,000 bytes, CRLF, then "0" CRLF CRLF.
    let one = |bytes| run(Protocol::Http11, link(), Options { response_bytes: bytes, ..small(1) });
    let (large, larger) = (one(20_000), one(20_001));
    let (two, three) = (one(2_048), one(2_049));
    // One more byte of a chunked body adds one byte. Past 2 KB the framing ("801", two
    // CRLFs, the last chunk) comes in, and the head swaps "content-length: 2048" for
    // "transfer-encoding: chunked".
    assert_eq!(larger.bytes - large.bytes, 1);
    let framing = 3 + 4 + 5;
    let head_delta = "transfer-encoding: chunked".len() as i64 - "content-length: 2048".len() as i64;
    assert_eq!(three.bytes as i64 - two.bytes as i64, 1 + framing + head_delta);
    // HTTP/2 frames its DATA instead: no chunks.
    let h2 = |bytes| run(Protocol::Http2, link(), Options { response_bytes: bytes, ..small(1) }).bytes;
    assert_eq!(h2(2_001) - h2(2_000), 1);
}

#[test]
fn a_priority_stream_finishes_first_and_the_rest_no_later_in_total() {
    let opts = Options { requests: 8, response_bytes: 60_000, server_us: 0, ..Options::default() };
    let fair = run(Protocol::Http2, link(), opts.clone());
    let urgent = run(Protocol::Http2, link(), Options { priorities: true, ..opts });
    // Round-robin finishes the first response with the others; weight 256 against 16 gets it
    // the connection almost alone.
    assert!(
        urgent.requests[0].done + 3 * RTT / 2 < fair.requests[0].done,
        "{} vs {}",
        urgent.requests[0].done,
        fair.requests[0].done
    );
    assert!(urgent.requests[1..].iter().all(|t| t.done > urgent.requests[0].done));
    assert_eq!(urgent.total_us, fair.total_us, "the same bytes on the same link");
}

#[test]
fn discovered_requests_cost_a_round_trip_that_server_push_saves() {
    let opts = Options { requests: 6, response_bytes: 2_000, server_us: 0, discover: true, ..Options::default() };
    let known = run(Protocol::Http2, link(), Options { discover: false, ..opts.clone() });
    let discovered = run(Protocol::Http2, link(), opts.clone());
    let pushed = run(Protocol::Http2, link(), Options { push: true, ..opts.clone() });
    assert!(discovered.total_us >= known.total_us + RTT, "{} vs {}", discovered.total_us, known.total_us);
    assert!(pushed.total_us + RTT * 9 / 10 <= discovered.total_us, "{} vs {}", pushed.total_us, discovered.total_us);
    assert!(pushed.requests[1..].iter().all(|t| t.pushed && t.header_bytes == 0));
    assert_eq!(pushed.header_bytes, pushed.requests[0].header_bytes, "the client sent one request");
    // Only HTTP/2 pushes.
    let h3 = run(Protocol::Http3, link(), Options { push: true, ..opts });
    assert!(h3.requests.iter().all(|t| !t.pushed));
}

#[test]
fn the_same_seed_gives_the_same_run_and_loss_costs_retransmits() {
    let lossy = Link { loss: 0.05, seed: 7, ..link() };
    let a = run(Protocol::Http2, lossy.clone(), Options::default());
    let b = run(Protocol::Http2, lossy, Options::default());
    assert_eq!(a, b);
    assert!(a.retransmits > 0);
}

#[test]
fn a_pod_is_smaller_in_protobuf_than_in_json_and_both_sizes_are_stable() {
    use kube_playground::sim::api::Object;
    let pod = kube_playground::sim::transport::sample_pod();
    assert!(matches!(&pod, Object::Pod(p) if p.metadata.name == "web-0"));
    let (json, proto) = kube_playground::sim::transport::encodings(&pod);
    assert_eq!((json, proto), (586, 244));
}

#[test]
fn a_watch_event_is_smallest_as_a_protobuf_stream() {
    use kube_playground::sim::transport::streams::watch_event_bytes;
    let sizes = watch_event_bytes(&kube_playground::sim::transport::sample_pod());
    let bytes: Vec<usize> = sizes.iter().map(|(_, b)| *b).collect();
    // The JSON line is 616 B: chunk "268" CRLF … CRLF, or a 9-byte DATA frame header; the
    // WatchEvent envelope (289 B) around the Pod's 244 protobuf bytes, behind 4 + 9; etcd's
    // response (615 B) carries the value twice (prev_kv), behind 5 + 9.
    assert_eq!(bytes, vec![623, 625, 302, 629]);
    assert!(bytes[2] < bytes[1] / 2);
}

mod kubectl_connections {
    use kube_playground::kubectl;
    use kube_playground::scenario::Scenario;
    use kube_playground::sim::component::Component;
    use kube_playground::sim::time::{SimTime, SECONDS};
    use kube_playground::sim::Simulation;

    const TIMEOUT: u64 = 30 * SECONDS;

    fn cluster(http: &str) -> Simulation {
        let mut scenario = Scenario::default();
        scenario.cluster.kubectl_http = http.into();
        let mut sim = scenario.build().unwrap();
        sim.run_until(SimTime::from_secs(3));
        sim
    }

    fn opened(sim: &Simulation) -> u64 {
        match &sim.components[0] {
            Component::User(u) => u.transport().opened,
            _ => panic!("kubectl is component 0"),
        }
    }

    /// The simulated time each of five `kubectl get pods` takes.
    fn five_gets(sim: &mut Simulation) -> Vec<u64> {
        (0..5)
            .map(|_| {
                let start = sim.now();
                let out = kubectl::run(sim, "kubectl get pods -A", TIMEOUT);
                assert!(out.contains("kube-system"), "{out}");
                sim.now().since(start)
            })
            .collect()
    }

    #[test]
    fn http2_opens_one_connection_http10_one_per_request() {
        let mut h2 = cluster("2");
        let h2_times = five_gets(&mut h2);
        assert_eq!(opened(&h2), 1);
        let mut h10 = cluster("1.0");
        let h10_times = five_gets(&mut h10);
        assert_eq!(opened(&h10), 5);
        // Each HTTP/1.0 request pays two more round trips to the API endpoint (8–12 ms one
        // way from the laptop) than a request on HTTP/2's open connection.
        let later: u64 = h10_times[1..].iter().sum::<u64>() / 4;
        let reused: u64 = h2_times[1..].iter().sum::<u64>() / 4;
        assert!(later > reused + 2 * 16_000, "HTTP/1.0 {later} µs vs HTTP/2 {reused} µs");
    }

    #[test]
    fn over_http11_a_watch_holds_its_connection() {
        let mut sim = cluster("1.1");
        five_gets(&mut sim);
        assert_eq!(opened(&sim), 1, "one kept-alive connection for sequential requests");
        let _ = kubectl::run(&mut sim, "kubectl get pods -w", TIMEOUT);
        let _ = kubectl::run(&mut sim, "kubectl get nodes", TIMEOUT);
        assert_eq!(opened(&sim), 2, "the watch keeps the first busy");
    }

    #[test]
    fn http3_is_refused_for_kubectl() {
        let mut scenario = Scenario::default();
        scenario.cluster.kubectl_http = "3".into();
        let err = scenario.build().err().unwrap();
        assert!(err.contains("do not speak HTTP/3"), "{err}");
    }
}

mod component_connections {
    use kube_playground::scenario::Scenario;
    use kube_playground::sim::time::SimTime;
    use kube_playground::sim::Simulation;

    fn cluster(http: &str) -> Simulation {
        let mut scenario = Scenario::default();
        scenario.cluster.components_http = http.into();
        let mut sim = scenario.build().unwrap();
        sim.run_until(SimTime::from_secs(20));
        sim
    }

    /// Open connections of the component named `name`.
    fn open(sim: &Simulation, name: &str) -> usize {
        let i = sim.infos.iter().position(|i| i.name == name).unwrap();
        sim.components[i].transport().unwrap().open()
    }

    fn running_pods(sim: &Simulation) -> usize {
        sim.apiserver().unwrap().cached().filter(|o| o.as_pod().is_some_and(|p| p.status.phase == "Running")).count()
    }

    #[test]
    fn over_http2_each_component_holds_one_connection() {
        let sim = cluster("2");
        for name in ["kube-controller-manager", "kube-scheduler", "kubelet/control-plane", "kube-proxy/worker-1"] {
            assert_eq!(open(&sim, name), 1, "{name}");
        }
        assert!(running_pods(&sim) > 0);
    }

    #[test]
    fn over_http11_every_watch_holds_a_connection_and_the_cluster_still_works() {
        let h2 = cluster("2");
        let h11 = cluster("1.1");
        // kube-controller-manager's informers each keep a watch open, each on its own connection.
        let kcm = open(&h11, "kube-controller-manager");
        assert!(kcm >= 20, "kube-controller-manager holds {kcm} connections over HTTP/1.1");
        // kube-proxy watches Services and EndpointSlices.
        assert!(open(&h11, "kube-proxy/worker-1") >= 2);
        assert_eq!(running_pods(&h11), running_pods(&h2), "the same pods run either way");
    }

    #[test]
    fn http3_is_refused_for_the_components() {
        let mut scenario = Scenario::default();
        scenario.cluster.components_http = "3".into();
        let err = scenario.build().err().unwrap();
        assert!(err.contains("the components and kube-apiserver do not speak HTTP/3"), "{err}");
    }
}
