//! The deploy worker's settings (`deployments.*`): three folders that must not be empty, two nginx commands split
//! on whitespace (empty or `none` runs none), the docker CLI, and the steps' times, each in its range and all four within
//! the `Deploy` job's hour.

use std::path::PathBuf;

use super::Builder;
use crate::deployments::{DEPLOYMENT_STEPS_MAX_SECS, DeploymentsConfig, is_host_label, is_host_name};

impl Builder {
    /// `deployments.*`.
    pub(super) fn deployments(&mut self, data_dir: &std::path::Path) -> DeploymentsConfig {
        let defaults = DeploymentsConfig::defaults(data_dir);
        let host = match self.text("deployments.host") {
            Some(name) if is_host_name(name.trim()) => name.trim().to_owned(),
            Some(name) => {
                let fix = "use 1 to 63 lowercase letters, digits and -, not starting or ending with - (e.g. web2)";
                self.report("deployments.host", format!("{name:?} is not a host name"), fix);
                defaults.host.clone()
            }
            None => defaults.host.clone(),
        };
        let label_fix = "use labels of 1 to 63 printable characters without spaces, such as region=eu";
        let host_labels = match self.list("deployments.host_labels", "labels", label_fix) {
            None => defaults.host_labels.clone(),
            Some(items) => {
                let mut labels = Vec::new();
                for (index, item) in items.iter().enumerate() {
                    if is_host_label(item.trim()) {
                        labels.push(item.trim().to_owned());
                    } else {
                        let message = format!("entry {}: {item:?} is not a label", index + 1);
                        self.report("deployments.host_labels", message, label_fix);
                    }
                }
                labels
            }
        };
        let releases_dir = self.folder("deployments.releases_dir", &defaults.releases_dir);
        let state_dir = self.folder("deployments.state_dir", &defaults.state_dir);
        let nginx_upstream_dir = self.folder("deployments.nginx_upstream_dir", &defaults.nginx_upstream_dir);
        let nginx_test_command = self.words("deployments.nginx_test_command", &defaults.nginx_test_command);
        let nginx_reload_command = self.words("deployments.nginx_reload_command", &defaults.nginx_reload_command);
        let docker_command = match self.text("deployments.docker_command") {
            Some(command) if command.trim().is_empty() => {
                let fix = "set it to the docker CLI (`docker`, or a path such as /usr/bin/docker), or leave it unset";
                self.report("deployments.docker_command", "is empty", fix);
                defaults.docker_command.clone()
            }
            Some(command) => command.trim().to_owned(),
            None => defaults.docker_command.clone(),
        };
        let systemd_run_command = match self.text("deployments.systemd_run_command") {
            Some(command) if command.trim().is_empty() => {
                let fix = "set it to systemd-run (`systemd-run`, or a path such as /usr/bin/systemd-run), or leave it \
                           unset";
                self.report("deployments.systemd_run_command", "is empty", fix);
                defaults.systemd_run_command.clone()
            }
            Some(command) => command.trim().to_owned(),
            None => defaults.systemd_run_command.clone(),
        };
        let reported = self.problems.len();
        let fetch = self.number("deployments.fetch_timeout_secs", defaults.fetch_timeout_secs, 1, Some(3600));
        let build = self.number("deployments.build_timeout_secs", defaults.build_timeout_secs, 1, Some(3600));
        let health = self.number("deployments.health_deadline_secs", defaults.health_deadline_secs, 1, Some(600));
        let drain = self.number("deployments.drain_secs", defaults.drain_secs, 0, Some(600));
        // Compared only when the four were accepted; otherwise a default would be blamed.
        let total = fetch + build + health + drain;
        if self.problems.len() == reported && total > DEPLOYMENT_STEPS_MAX_SECS {
            self.report(
                "deployments.build_timeout_secs",
                format!(
                    "fetch_timeout_secs + build_timeout_secs + health_deadline_secs + drain_secs is {total} s, more \
                     than the {DEPLOYMENT_STEPS_MAX_SECS} s a deployment's steps may take (the Deploy job's limit \
                     is an hour)"
                ),
                format!("lower them to at most {DEPLOYMENT_STEPS_MAX_SECS} s together"),
            );
        }
        DeploymentsConfig {
            host,
            host_labels,
            releases_dir,
            state_dir,
            nginx_upstream_dir,
            nginx_test_command,
            nginx_reload_command,
            fetch_timeout_secs: fetch,
            build_timeout_secs: build,
            health_deadline_secs: health,
            drain_secs: drain,
            docker_command,
            systemd_run_command,
        }
    }

    /// A folder that must not be empty.
    pub(super) fn folder(&mut self, key: &'static str, default: &std::path::Path) -> PathBuf {
        match self.text(key) {
            Some(path) if path.trim().is_empty() => {
                self.report(key, "is empty", "set it to a folder, or leave it unset");
                default.to_path_buf()
            }
            Some(path) => PathBuf::from(path.trim()),
            None => default.to_path_buf(),
        }
    }

    /// A command as the words of one string, split on whitespace (no quoting: the commands are nginx's own);
    /// empty, only spaces or `none` runs none (the environment cannot hold an empty value, which reads as unset).
    fn words(&mut self, key: &'static str, default: &[String]) -> Vec<String> {
        match self.text(key) {
            Some(text) if text.trim().eq_ignore_ascii_case("none") => Vec::new(),
            Some(text) => text.split_whitespace().map(str::to_owned).collect(),
            None => default.to_vec(),
        }
    }
}
