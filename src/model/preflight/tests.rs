use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr};

use super::*;

const SERVER: IpAddr = IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1));

/// A host that meets every requirement.
fn good_host() -> HostFacts {
    HostFacts {
        uid: Some(0),
        user: Some("root".into()),
        privilege: Some(Privilege::Root),
        kernel: Some(("Linux".into(), "6.1.0".into(), "x86_64".into())),
        os_release: [("PRETTY_NAME".to_owned(), "Debian GNU/Linux 12".to_owned())].into(),
        init: InitFacts {
            openrc: false,
            systemctl: true,
            systemd_running: true,
            pid1: Some("systemd".into()),
        },
        memory: Some(Memory {
            total_kib: 8 << 20,
            available_kib: 6 << 20,
        }),
        tcp_listening: Some(BTreeSet::from([22])),
        udp_bound: Some(BTreeSet::from([68])),
        unix_time: Some(1),
        k3s_version: None,
        downloaders: vec!["/usr/bin/curl".into()],
        route: Some("10.0.0.1 dev eth0 src 10.0.0.2 uid 0".into()),
        reach: Some(vec![
            (6443, Reach::Connected),
            (2379, Reach::Connected),
            (2380, Reach::Connected),
        ]),
    }
}

fn worker_plan() -> Plan {
    Plan {
        role: Role::Worker,
        components: vec![],
        k3s_installed_here: false,
        server: Some(SERVER),
        cluster: ClusterFacts::Servers(vec!["v1.31.4+k3s1".into()]),
        pinned_version: Some("v1.31.4+k3s1".into()),
        clock_skew_secs: Some(0),
        address: None,
    }
}

fn first_server_plan() -> Plan {
    Plan {
        role: Role::FirstServer,
        components: [
            "cert-manager",
            "longhorn",
            "traefik",
            "keda",
            "keda-add-ons-http",
            "vector",
        ]
        .map(String::from)
        .into(),
        k3s_installed_here: false,
        server: None,
        cluster: ClusterFacts::None,
        pinned_version: None,
        clock_skew_secs: None,
        address: Some(ServerAddress::Interface {
            name: "eth0".into(),
            ip: SERVER,
        }),
    }
}

fn check<'a>(checks: &'a [Check], name: &str) -> &'a Check {
    checks
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no check {name}: {checks:#?}"))
}

fn names(checks: &[Check]) -> Vec<&str> {
    checks.iter().map(|c| c.name.as_str()).collect()
}

#[test]
fn a_good_worker_passes_every_check_in_order() {
    let checks = evaluate(&good_host(), &worker_plan());
    assert_eq!(
        names(&checks),
        [
            "root",
            "os",
            "init",
            "memory",
            "downloader",
            "address",
            "port 10250/tcp",
            "port 51820/udp",
            "port 51821/udp",
            "server 6443/tcp",
            "clock",
            "k3s version"
        ]
    );
    assert!(checks.iter().all(|c| c.status == Status::Ok), "{checks:#?}");
    assert_eq!(
        check(&checks, "address").detail,
        "reaches the server 10.0.0.1 via eth0 from 10.0.0.2"
    );
    assert_eq!(
        HostReport::new("ssh://root@h", Role::Worker, checks).status,
        Status::Ok
    );
}

#[test]
fn servers_need_the_api_and_etcd_ports_free_and_reachable() {
    let mut plan = worker_plan();
    plan.role = Role::Server;
    let checks = evaluate(&good_host(), &plan);
    for n in [
        "port 6443/tcp",
        "port 2379/tcp",
        "port 2380/tcp",
        "server 2379/tcp",
        "server 2380/tcp",
    ] {
        assert_eq!(check(&checks, n).status, Status::Ok, "{n}");
    }
    let first = evaluate(&good_host(), &first_server_plan());
    assert!(!names(&first).iter().any(|n| n.starts_with("server ")));
    assert!(!names(&first).contains(&"clock"));
    assert_eq!(
        check(&first, "address").detail,
        "10.0.0.1 on eth0 (the network-interface property)"
    );
}

#[test]
fn a_port_in_use_fails_naming_its_purpose_unless_k3s_holds_it() {
    let mut f = good_host();
    f.tcp_listening = Some(BTreeSet::from([22, 10250]));
    f.udp_bound = Some(BTreeSet::from([51820]));
    let checks = evaluate(&f, &worker_plan());
    let c = check(&checks, "port 10250/tcp");
    assert_eq!(c.status, Status::Fail);
    assert!(c.detail.contains("the kubelet"), "{c:?}");
    assert!(
        c.fix
            .as_deref()
            .unwrap()
            .contains("ss -tlnp 'sport = :10250'")
    );
    assert_eq!(check(&checks, "port 51820/udp").status, Status::Fail);
    assert_eq!(check(&checks, "port 51821/udp").status, Status::Ok);
    let report = HostReport::new("h", Role::Worker, checks);
    assert_eq!(report.status, Status::Fail);
    assert_eq!(report.failures().count(), 2);

    // Re-running initialize: the installed k3s holds its own ports.
    let mut plan = first_server_plan();
    plan.k3s_installed_here = true;
    f.tcp_listening = Some(BTreeSet::from([6443, 10250]));
    let checks = evaluate(&f, &plan);
    assert_eq!(check(&checks, "port 6443/tcp").status, Status::Ok);
    // Some other k3s on a joining host: a warning, not a refusal.
    f.k3s_version = Some("k3s version v1.30.1+k3s1 (x)".into());
    let checks = evaluate(&f, &worker_plan());
    assert_eq!(check(&checks, "port 10250/tcp").status, Status::Warn);
    let v = check(&checks, "k3s version");
    assert_eq!(v.status, Status::Warn);
    assert!(
        v.detail.starts_with("v1.30.1+k3s1 is already installed"),
        "{v:?}"
    );
}

#[test]
fn no_root_no_init_no_downloader_and_a_foreign_os_fail() {
    let mut f = good_host();
    f.privilege = Some(Privilege::None);
    f.user = Some("deploy".into());
    f.init = InitFacts::default();
    f.downloaders.clear();
    f.kernel = Some(("FreeBSD".into(), "14.0".into(), "amd64".into()));
    let checks = evaluate(&f, &worker_plan());
    for n in ["root", "os", "init", "downloader"] {
        assert_eq!(check(&checks, n).status, Status::Fail, "{n}");
    }
    assert!(
        check(&checks, "root")
            .detail
            .contains("\"deploy\" is not root and cannot run 'sudo -n'")
    );
    f.kernel = Some(("Linux".into(), "6.1".into(), "mips".into()));
    assert_eq!(
        check(&evaluate(&f, &worker_plan()), "os").status,
        Status::Fail
    );
    // Local: the first server says to use sudo.
    let first = evaluate(&f, &first_server_plan());
    assert_eq!(
        check(&first, "root").fix.as_deref(),
        Some("run berth as root (sudo berth …)")
    );
    f.privilege = Some(Privilege::Sudo);
    assert_eq!(
        check(&evaluate(&f, &worker_plan()), "root").detail,
        "deploy has passwordless sudo"
    );
}

#[test]
fn systemctl_without_a_running_systemd_is_a_warning() {
    let mut f = good_host();
    f.init.systemd_running = false;
    f.init.pid1 = Some("bash".into());
    let c = evaluate(&f, &worker_plan()).remove(2);
    assert_eq!((c.name.as_str(), c.status), ("init", Status::Warn));
    assert!(c.detail.contains("PID 1 is bash"), "{c:?}");
    f.init = InitFacts {
        openrc: true,
        ..InitFacts::default()
    };
    assert_eq!(evaluate(&f, &worker_plan())[2].status, Status::Ok);
}

#[test]
fn memory_is_weighed_against_k3s_and_the_components() {
    let plan = first_server_plan();
    let (base, components) = memory_need_mib(&plan);
    assert_eq!((base, components), (1024, 160 + 512 + 96 + 256 + 128 + 128));
    let mut f = good_host();
    let at = |avail_mib: u64| Memory {
        total_kib: 4 << 20,
        available_kib: avail_mib * 1024,
    };
    f.memory = Some(at(900));
    assert_eq!(check(&evaluate(&f, &plan), "memory").status, Status::Fail);
    f.memory = Some(at(1500));
    let c = evaluate(&f, &plan).remove(3);
    assert_eq!(c.status, Status::Warn);
    assert!(
        c.detail.starts_with(
            "1.5 GiB available of 4.0 GiB; k3s needs 1.0 GiB and cert-manager, longhorn"
        ),
        "{c:?}"
    );
    f.memory = Some(at(3000));
    assert_eq!(check(&evaluate(&f, &plan), "memory").status, Status::Ok);
    // A worker needs the agent and the per-node parts only.
    f.memory = Some(at(900));
    assert_eq!(
        check(&evaluate(&f, &worker_plan()), "memory").status,
        Status::Ok
    );
}

#[test]
fn unreachable_server_ports_and_routes_fail_with_the_fix() {
    let mut f = good_host();
    f.reach = Some(vec![(6443, Reach::Refused("Connection refused".into()))]);
    let c = check(&evaluate(&f, &worker_plan()), "server 6443/tcp").clone();
    assert_eq!(c.status, Status::Fail);
    assert_eq!(
        c.detail,
        "the host cannot reach 10.0.0.1:6443: Connection refused"
    );
    assert!(
        c.fix
            .unwrap()
            .starts_with("open 6443/tcp on the server 10.0.0.1")
    );
    f.reach = Some(vec![(6443, Reach::TimedOut)]);
    assert!(
        check(&evaluate(&f, &worker_plan()), "server 6443/tcp")
            .detail
            .contains("no answer from 10.0.0.1:6443 within 5 s")
    );
    f.reach = None;
    assert_eq!(
        check(&evaluate(&f, &worker_plan()), "server ports").status,
        Status::Warn
    );
    f.route = Some("RTNETLINK answers: Network is unreachable".into());
    assert_eq!(
        check(&evaluate(&f, &worker_plan()), "address").status,
        Status::Fail
    );
    f.route = None;
    assert_eq!(
        check(&evaluate(&f, &worker_plan()), "address").status,
        Status::Warn
    );
}

#[test]
fn clock_skew_warns_then_fails() {
    let mut plan = worker_plan();
    for (skew, status, detail) in [
        (-2, Status::Ok, "2 s behind this host"),
        (5, Status::Warn, "5 s ahead of this host"),
        (
            -600,
            Status::Fail,
            "600 s behind this host: TLS certificates and join tokens will be refused",
        ),
    ] {
        plan.clock_skew_secs = Some(skew);
        let c = check(&evaluate(&good_host(), &plan), "clock").clone();
        assert_eq!((c.status, c.detail.as_str()), (status, detail));
    }
}

#[test]
fn version_skew_among_servers_and_unknown_clusters_warn() {
    let mut plan = worker_plan();
    plan.cluster = ClusterFacts::Servers(vec!["v1.31.4+k3s1".into(), "v1.30.2+k3s1".into()]);
    plan.pinned_version = Some("v1.30.2+k3s1".into());
    let c = check(&evaluate(&good_host(), &plan), "k3s version").clone();
    assert_eq!(c.status, Status::Warn);
    assert!(
        c.detail
            .contains("(v1.30.2+k3s1, v1.31.4+k3s1); the join installs v1.30.2+k3s1"),
        "{c:?}"
    );
    plan.cluster = ClusterFacts::Unreachable("connection refused".into());
    assert_eq!(
        check(&evaluate(&good_host(), &plan), "k3s version").status,
        Status::Warn
    );
    // The same version already there is fine.
    let mut f = good_host();
    f.k3s_version = Some("k3s version v1.31.4+k3s1 (abc)".into());
    assert_eq!(
        check(&evaluate(&f, &worker_plan()), "k3s version").status,
        Status::Ok
    );
    plan.cluster = ClusterFacts::Servers(vec![]);
    assert!(
        check(&evaluate(&good_host(), &plan), "k3s version")
            .detail
            .starts_with("no server reports a version")
    );
    assert_eq!(parse_version("v1.31.4+k3s1"), Some((1, 31, 4)));
    assert_eq!(
        parse_version("k3s version v1.36.3+k3s1 (test)"),
        Some((1, 36, 3))
    );
    assert_eq!(parse_version("nonsense"), None);
}

#[test]
fn the_first_server_address_rules() {
    let mut plan = first_server_plan();
    plan.address = Some(ServerAddress::Flag {
        ip: SERVER,
        interface: None,
    });
    assert_eq!(
        check(&evaluate(&good_host(), &plan), "address").status,
        Status::Warn
    );
    plan.address = Some(ServerAddress::Missing(
        "Unable to determine server ip address from network-interface eth9".into(),
    ));
    let c = check(&evaluate(&good_host(), &plan), "address").clone();
    assert_eq!(c.status, Status::Fail);
    assert!(c.detail.contains("eth9"));
}

#[test]
fn reports_serialize_with_lowercase_statuses() {
    let r = HostReport::new(
        "this host",
        Role::FirstServer,
        vec![Check::warn("init", "d", "f"), Check::ok("os", "Linux")],
    );
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["status"], "warn");
    assert_eq!(v["role"], "first-server");
    assert_eq!(v["checks"][0]["fix"], "f");
    assert!(v["checks"][1].get("fix").is_none());
}
