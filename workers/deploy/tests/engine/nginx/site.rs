//! A real nginx in a temporary prefix on a loopback port, proxying a site's upstream (`upstream app { include
//! <upstream file>; }`) to two real apps, blue and green, run by the `process` runtime. As in
//! `ops/nginx/test-site.sh`, nothing of the machine's nginx is used but the binary: own configuration, pid file,
//! logs and temporary folders, started with `-p <prefix> -c <conf> -e <error log>`.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::Duration,
};

use lawha_deploy_worker::engine::{
    health::HealthGate,
    nginx::{Nginx, upstream_line},
    runtime::{AppRuntime, Colour, process::ProcessRuntime},
};

use crate::support::{Log, NGINX_CONF, app, app_release, eventually, free_port, nginx};

/// nginx, its two apps, and the engine's view of them.
pub struct Site {
    /// The prefix, with the apps' releases and state.
    pub dir: tempfile::TempDir,
    /// Where nginx listens.
    pub port: u16,
    /// The site's upstream file.
    pub upstream_file: PathBuf,
    /// The engine's test and reload commands for this nginx.
    pub nginx: Nginx,
    /// The apps' ports: blue, green.
    pub ports: [u16; 2],
    /// The apps' runtime.
    pub apps: ProcessRuntime,
    /// An HTTP client that opens a new connection per request.
    pub client: reqwest::Client,
}

impl Site {
    /// Starts both apps and nginx, the upstream pointing at blue.
    pub async fn start() -> Self {
        let binary = nginx();
        let dir = tempfile::tempdir().expect("temp");
        let d = dir.path();
        // nginx's workers run as nobody when the tests run as root: they must be able to enter the prefix.
        std::fs::set_permissions(d, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
        for sub in ["tmp", "extra"] {
            std::fs::create_dir_all(d.join(sub)).unwrap();
        }
        let apps = ProcessRuntime::new(d.join("state"));
        let release = app_release(d, "release");
        let ports = [free_port(), free_port()];
        for (colour, port) in [(Colour::Blue, ports[0]), (Colour::Green, ports[1])] {
            apps.start(&app("shop", colour, &release, port)).await.expect("app started");
            let gate = HealthGate { interval: Duration::from_millis(50), ..HealthGate::new("/") };
            gate.wait(port, &Log::new().tx).await.expect("app answers");
        }
        let upstream_file = d.join("upstreams").join("shop.conf");
        std::fs::create_dir_all(upstream_file.parent().unwrap()).unwrap();
        std::fs::write(&upstream_file, upstream_line(ports[0])).unwrap();
        let port = free_port();
        let conf = d.join("nginx.conf");
        let text = NGINX_CONF.replace("{d}", &d.display().to_string()).replace("{port}", &port.to_string());
        std::fs::write(&conf, text.replace("{upstream}", &upstream_file.display().to_string())).unwrap();

        let base = |extra: &[&str]| -> Vec<String> {
            let mut argv = vec![binary.display().to_string()];
            for word in ["-p", &d.display().to_string(), "-c", &conf.display().to_string()] {
                argv.push(word.to_owned());
            }
            argv.extend(["-e".to_owned(), d.join("error.log").display().to_string()]);
            argv.extend(extra.iter().map(|w| (*w).to_owned()));
            argv
        };
        let nginx = Nginx { test: base(&["-t"]), reload: base(&["-s", "reload"]), timeout: Duration::from_secs(30) };
        let start = base(&[]);
        let out = Command::new(&start[0]).args(&start[1..]).output().expect("nginx runs");
        assert!(out.status.success(), "nginx did not start: {}{}", String::from_utf8_lossy(&out.stderr), error_log(d));
        let client = reqwest::Client::builder()
            .no_proxy()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap();
        let site = Self { dir, port, upstream_file, nginx, ports, apps, client };
        assert!(eventually(Duration::from_secs(10), || async { site.get().await.as_deref() == Ok("blue") }).await);
        site
    }

    /// The port of a colour's app.
    pub fn port_of(&self, colour: Colour) -> u16 {
        match colour {
            Colour::Blue => self.ports[0],
            Colour::Green => self.ports[1],
        }
    }

    /// One request through nginx: the colour that answered, or what went wrong.
    pub async fn get(&self) -> Result<String, String> {
        get(&self.client, self.port).await
    }

    /// Adds a file nginx's configuration includes that is not nginx configuration (`remove` takes it away).
    pub fn break_config(&self, broken: bool) {
        let file = self.dir.path().join("extra").join("broken.conf");
        if broken {
            std::fs::write(file, "this is not nginx configuration\n").unwrap();
        } else {
            std::fs::remove_file(file).unwrap();
        }
    }
}

/// One request to nginx on `port`: the body of a 200 answer, or what went wrong.
pub async fn get(client: &reqwest::Client, port: u16) -> Result<String, String> {
    let response = client.get(format!("http://127.0.0.1:{port}/")).send().await.map_err(|e| format!("{e:?}"))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| format!("{e:?}"))?;
    if status == reqwest::StatusCode::OK { Ok(body) } else { Err(format!("{status}: {body}")) }
}

fn error_log(d: &Path) -> String {
    std::fs::read_to_string(d.join("error.log")).unwrap_or_default()
}

impl Drop for Site {
    fn drop(&mut self) {
        // nginx: a fast shutdown of the master, which ends its workers.
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("nginx.pid"))
            && let Some(pid) = pid.trim().parse().ok().and_then(rustix::process::Pid::from_raw)
            && pid.as_raw_nonzero().get() > 1
        {
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        }
        // The apps: their groups, by their pid files.
        for colour in [Colour::Blue, Colour::Green] {
            if let Ok(file) = self.apps.pid_file("shop", colour)
                && let Ok(pid) = std::fs::read_to_string(file)
                && let Some(pid) = pid.trim().parse().ok().and_then(rustix::process::Pid::from_raw)
                && pid.as_raw_nonzero().get() > 1
            {
                let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
            }
        }
    }
}
