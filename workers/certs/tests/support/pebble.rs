//! A real test CA for one test: pebble and pebble-challtestsrv (Debian's `pebble` package) on free loopback
//! ports, with a CA and a `localhost` certificate made here with rcgen (Debian ships none), challtestsrv as
//! pebble's DNS (every name resolves to 127.0.0.1; `/set-txt` and `/clear-txt` serve DNS-01 records), HTTP-01
//! checked against `http_port` (where the test's nginx serves the webroot), and `PEBBLE_VA_NOSLEEP=1` so an
//! order takes a second, not six. Nonce rejection (5%) and authorization reuse (50%) stay at pebble's defaults:
//! the client must cope with both. Both processes are killed on drop.

use std::{
    net::TcpStream,
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair};

/// A loopback port nothing listens on (now).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("a free port").port()
}

/// The path of a program of a Debian package; panics naming the package when it is missing.
pub fn program(name: &str, package: &str) -> PathBuf {
    let found =
        ["/usr/bin", "/usr/sbin", "/usr/local/bin"].iter().map(|dir| Path::new(dir).join(name)).find(|p| p.is_file());
    found.unwrap_or_else(|| {
        panic!("this test needs {name}: install the Debian package {package} (apt-get install {package})")
    })
}

/// Waits until something listens on `port`; panics naming `what` after 15 s.
pub fn wait_listening(port: u16, what: &str, log: &Path) {
    let deadline = Instant::now() + Duration::from_secs(15);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "{what} did not listen on {port}: {}",
            std::fs::read_to_string(log).unwrap_or_default()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running pebble and its DNS.
#[derive(Debug)]
pub struct Pebble {
    /// The directory URL (`https://127.0.0.1:<port>/dir`: an address, so no resolver may send it to `::1`).
    pub directory: String,
    /// The PEM file of the root that signed pebble's TLS certificate.
    pub root: PathBuf,
    /// The port of pebble's ACME API.
    pub acme_port: u16,
    /// challtestsrv's management URL (`/set-txt`, `/clear-txt`).
    pub challtestsrv: String,
    /// The CA and key made here (PEM), to sign other test servers' certificates with.
    pub localhost_cert: PathBuf,
    /// The key of `localhost_cert`.
    pub localhost_key: PathBuf,
    children: Vec<Child>,
    command: (PathBuf, Vec<String>),
    _dir: tempfile::TempDir,
}

/// Starts pebble with `args`, logging into `dir`.
fn start_pebble(pebble: &Path, args: &[String], dir: &Path) -> Child {
    let log = |name: &str| std::fs::OpenOptions::new().create(true).append(true).open(dir.join(name)).unwrap();
    Command::new(pebble)
        .args(args)
        .env("PEBBLE_VA_NOSLEEP", "1")
        .stdin(Stdio::null())
        .stdout(log("pebble.log"))
        .stderr(log("pebble.err"))
        .spawn()
        .expect("pebble starts")
}

impl Drop for Pebble {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Pebble {
    /// Starts pebble checking HTTP-01 on `http_port`.
    pub fn start(http_port: u16) -> Self {
        let pebble = program("pebble", "pebble");
        let challtestsrv = program("pebble-challtestsrv", "pebble");
        let dir = tempfile::tempdir().expect("temp");
        let d = dir.path();
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name.push(DnType::CommonName, "Lawha test root");
        let ca = CertifiedIssuer::self_signed(ca, ca_key).unwrap();
        let key = KeyPair::generate().unwrap();
        let leaf = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()]).unwrap();
        let leaf = leaf.signed_by(&key, &ca).unwrap();
        let (root, cert, private) = (d.join("root.pem"), d.join("localhost.pem"), d.join("localhost.key"));
        std::fs::write(&root, ca.pem()).unwrap();
        std::fs::write(&cert, leaf.pem()).unwrap();
        std::fs::write(&private, key.serialize_pem()).unwrap();

        let (acme, management, dns, dns_management) = (free_port(), free_port(), free_port(), free_port());
        let config = serde_json::json!({ "pebble": {
            "listenAddress": format!("127.0.0.1:{acme}"),
            "managementListenAddress": format!("127.0.0.1:{management}"),
            "certificate": cert, "privateKey": private,
            "httpPort": http_port, "tlsPort": free_port(),
            "ocspResponderURL": "", "externalAccountBindingRequired": false,
        }});
        std::fs::write(d.join("pebble.json"), config.to_string()).unwrap();
        let log = |name: &str| std::fs::File::create(d.join(name)).unwrap();
        let dns_server = Command::new(challtestsrv)
            .args(["-dns01", &format!("127.0.0.1:{dns}"), "-http01", "", "-https01", "", "-tlsalpn01", ""])
            .args(["-management", &format!("127.0.0.1:{dns_management}"), "-defaultIPv6", ""])
            .stdout(log("challtestsrv.log"))
            .stderr(log("challtestsrv.err"))
            .spawn()
            .expect("pebble-challtestsrv starts");
        let args = vec![
            "-config".to_owned(),
            d.join("pebble.json").display().to_string(),
            "-dnsserver".to_owned(),
            format!("127.0.0.1:{dns}"),
        ];
        let ca_server = start_pebble(&pebble, &args, d);
        let started = Self {
            directory: format!("https://127.0.0.1:{acme}/dir"),
            root,
            acme_port: acme,
            challtestsrv: format!("http://127.0.0.1:{dns_management}"),
            localhost_cert: cert,
            localhost_key: private,
            children: vec![dns_server, ca_server],
            command: (pebble, args),
            _dir: dir,
        };
        wait_listening(dns_management, "pebble-challtestsrv", &started._dir.path().join("challtestsrv.log"));
        wait_listening(acme, "pebble", &started._dir.path().join("pebble.log"));
        started
    }

    /// Restarts pebble on the same ports: it forgets every account, order and certificate (and makes a new root
    /// for what it issues).
    pub fn restart(&mut self) {
        let old = &mut self.children[1];
        let _ = old.kill();
        let _ = old.wait();
        let port = self.acme_port;
        // The port is free again once the killed process is reaped; wait until it listens anew.
        self.children[1] = start_pebble(&self.command.0, &self.command.1, self._dir.path());
        wait_listening(port, "pebble (restarted)", &self._dir.path().join("pebble.log"));
    }

    /// pebble's own log, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("pebble.log")).unwrap_or_default()
    }
}
