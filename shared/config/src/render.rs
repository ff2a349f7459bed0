//! The effective configuration as text, for `lawha config check`.
//!
//! Operators use it to answer "which value is actually in force, and why?",
//! so every key is shown with the layer it came from. Secrets are shown only
//! as `[redacted]` and URLs only through [`redact_url`], because this output is
//! pasted into tickets and chat.

use std::fmt::Write as _;

use crate::keys::KEYS;
use crate::secret::{REDACTED, redact_url};
use crate::{Config, InProcess, Origin};

impl Config {
    /// The effective configuration as TOML-like text: every key with its value
    /// and, as a trailing comment, where it came from (default, file or
    /// `env LAWHA_X`). Secrets print as `[redacted]`, URLs through
    /// [`redact_url`]; the raw secret is never included.
    pub fn render_effective(&self) -> String {
        let mut out = String::new();
        let file = self.config_file.as_ref().map_or_else(|| "none".to_owned(), |p| p.display().to_string());
        // Writing to a String cannot fail, so the results are ignored.
        let _ = writeln!(out, "# Effective Lawha configuration.");
        let _ = writeln!(out, "# profile: {} ({})", self.profile, self.profile_reason);
        let _ = writeln!(out, "# config file: {file}");

        let mut section = "";
        let mut block: Vec<(String, String)> = Vec::new();
        for doc in KEYS {
            let (this_section, name) = doc.key.split_once('.').unwrap_or(("", doc.key));
            if this_section != section {
                flush(&mut out, &mut block);
                let _ = write!(out, "\n[{this_section}]\n");
                section = this_section;
            }
            let origin = self.origin(doc.key).cloned().unwrap_or(Origin::Default);
            let line = match self.rendered_value(doc.key) {
                Some(value) => format!("{name} = {value}"),
                None => format!("# {name} is not set"),
            };
            let mut comment = origin.to_string();
            if doc.key == "log.format" {
                let effective = self.log.format.effective(self.profile);
                let _ = write!(comment, "; effective: {effective}");
            }
            if doc.key == "secret_key" && self.secret_key.is_none() {
                comment.push_str("; generated in <data_dir>/secret.key outside production");
            }
            block.push((line, comment));
        }
        flush(&mut out, &mut block);
        out
    }

    /// One key's value as TOML text, or `None` when it is unset.
    fn rendered_value(&self, key: &str) -> Option<String> {
        let number = |n: u64| Some(n.to_string());
        match key {
            "listen" => Some(quote(&self.listen.to_string())),
            "data_dir" => Some(quote(&self.data_dir.display().to_string())),
            "database_url" => Some(quote(&redact_url(self.database_url.expose()))),
            "redis_url" => self.redis_url.as_ref().map(|u| quote(&redact_url(u.expose()))),
            "secret_key" => self.secret_key.as_ref().map(|_| quote(REDACTED)),
            "previous_secret_keys" => {
                Some(format!("[{}]", vec![quote(REDACTED); self.previous_secret_keys.len()].join(", ")))
            }
            "http.body_limit_bytes" => Some(self.http.body_limit_bytes.to_string()),
            "http.request_timeout_secs" => number(self.http.request_timeout_secs),
            "http.shutdown_grace_secs" => number(self.http.shutdown_grace_secs),
            "http.header_read_timeout_secs" => number(self.http.header_read_timeout_secs),
            "http.idle_timeout_secs" => number(self.http.idle_timeout_secs),
            "http.max_streams_per_principal" => number(self.http.max_streams_per_principal.into()),
            "http.max_streams" => number(self.http.max_streams.into()),
            "http.trusted_proxies" => {
                let items: Vec<String> = self.http.trusted_proxies.iter().map(|net| quote(&net.to_string())).collect();
                Some(format!("[{}]", items.join(", ")))
            }
            "log.level" => Some(quote(&self.log.level)),
            "log.format" => Some(quote(self.log.format.as_str())),
            "database.max_connections" => number(self.database.max_connections.into()),
            "database.acquire_timeout_secs" => number(self.database.acquire_timeout_secs),
            "database.unavailable_wait_ms" => number(self.database.unavailable_wait_ms),
            "projections.batch_size" => number(self.projections.batch_size.into()),
            "projections.poll_interval_ms" => number(self.projections.poll_interval_ms),
            "ui.entrance" => self.ui.entrance.as_deref().map(quote),
            "ui.allow_ips" => {
                let items: Vec<String> = self.ui.allow_ips.iter().map(|net| quote(&net.to_string())).collect();
                Some(format!("[{}]", items.join(", ")))
            }
            "session.idle_timeout_secs" => number(self.session.idle_timeout_secs),
            "session.absolute_timeout_secs" => number(self.session.absolute_timeout_secs),
            "jobs.queue_path" => Some(quote(&self.jobs.queue_path.display().to_string())),
            "jobs.namespace" => Some(quote(&self.jobs.namespace)),
            "jobs.concurrency" => number(self.jobs.concurrency.into()),
            "jobs.poll_interval_ms" => number(self.jobs.poll_interval_ms),
            "jobs.shutdown_grace_secs" => number(self.jobs.shutdown_grace_secs),
            "jobs.in_process" => Some(match &self.jobs.in_process {
                InProcess::All => quote("all"),
                InProcess::Only(queues) => {
                    format!("[{}]", queues.iter().map(|q| quote(q)).collect::<Vec<_>>().join(", "))
                }
            }),
            "jobs.redispatch_after_secs" => number(self.jobs.redispatch_after_secs),
            "jobs.audit_verify_cron" => Some(quote(self.jobs.audit_verify_cron.as_deref().unwrap_or("off"))),
            "backups.protected_paths" => {
                let items: Vec<String> =
                    self.backups.protected_paths.iter().map(|p| quote(&p.display().to_string())).collect();
                Some(format!("[{}]", items.join(", ")))
            }
            "backups.safety_copy_hours" => number(self.backups.safety_copy_hours),
            "deployments.host" => Some(quote(&self.deployments.host)),
            "deployments.host_labels" => Some(format!(
                "[{}]",
                self.deployments.host_labels.iter().map(|l| quote(l)).collect::<Vec<_>>().join(", ")
            )),
            "deployments.releases_dir" => Some(quote(&self.deployments.releases_dir.display().to_string())),
            "deployments.state_dir" => Some(quote(&self.deployments.state_dir.display().to_string())),
            "deployments.nginx_upstream_dir" => Some(quote(&self.deployments.nginx_upstream_dir.display().to_string())),
            "deployments.nginx_test_command" => Some(quote(&self.deployments.nginx_test_command.join(" "))),
            "deployments.nginx_reload_command" => Some(quote(&self.deployments.nginx_reload_command.join(" "))),
            "deployments.fetch_timeout_secs" => number(self.deployments.fetch_timeout_secs),
            "deployments.build_timeout_secs" => number(self.deployments.build_timeout_secs),
            "deployments.health_deadline_secs" => number(self.deployments.health_deadline_secs),
            "deployments.drain_secs" => number(self.deployments.drain_secs),
            "deployments.docker_command" => Some(quote(&self.deployments.docker_command)),
            "deployments.systemd_run_command" => Some(quote(&self.deployments.systemd_run_command)),
            "certificates.dir" => Some(quote(&self.certificates.dir.display().to_string())),
            "certificates.webroot" => Some(quote(&self.certificates.webroot.display().to_string())),
            "certificates.check_interval_secs" => number(self.certificates.check_interval_secs),
            "certificates.dns_hook_timeout_secs" => number(self.certificates.dns_hook_timeout_secs),
            "audit.checkpoint_interval_secs" => number(self.audit.checkpoint_interval_secs),
            "audit.checkpoint_url" => self.audit.checkpoint_url.as_deref().map(|u| quote(&redact_url(u))),
            // A key added to KEYS without a case here shows up as unset, and
            // the test that renders every key catches it.
            _ => None,
        }
    }
}

/// Writes a block of `line  # comment` rows with the comments aligned.
fn flush(out: &mut String, block: &mut Vec<(String, String)>) {
    let width = block.iter().map(|(line, _)| line.len()).max().unwrap_or(0);
    for (line, comment) in block.drain(..) {
        let _ = writeln!(out, "{line:width$}  # {comment}");
    }
}

/// A TOML basic string, escaped so that a path with quotes stays valid.
fn quote(text: &str) -> String {
    toml::Value::String(text.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn test_config_renders_every_key_with_its_origin() {
        let dir = std::path::Path::new("/tmp/lawha-render");
        let text = Config::test(dir).render_effective();
        for doc in KEYS {
            let name = doc.key.rsplit('.').next().unwrap_or(doc.key);
            assert!(text.contains(&format!("{name} = ")) || text.contains(&format!("# {name} is not set")));
        }
        let key_line = text.lines().find(|l| l.starts_with("secret_key = "));
        assert!(key_line.is_some_and(|l| l.contains("\"[redacted]\"") && l.ends_with("# Config::test")));
        assert!(text.contains("\n[http]\nbody_limit_bytes = 2097152"));
        assert!(!text.contains("lawha-test-secret-key"));
    }
}
