//! Every line the cert worker writes for a person: why an order failed (recorded in `CertificateOrderFailed`),
//! the `IssueCertificate`/`RenewCertificate` handler's progress lines in the job's log, and why it gave up on a
//! job. A CA's or a tool's own words travel as arguments (`detail`, `output`, `reason`); nothing here builds a
//! sentence.
//!
//! The words are in `locales/<lang>/certs.ftl` beside this crate (`certs.a_b` is the Fluent message `certs-a_b`,
//! with exactly the arguments declared here). The panel's catalog test checks both files, as it does every
//! layer's (`ALL` is listed in `services/api/src/ui/i18n/catalogs.rs`).

lawha_domain::messages! {
    /// The CA answered with a problem document: its type (`unauthorized`, `rateLimited`…) and its detail.
    acme_problem = "certs.acme_problem"(kind, detail);
    /// The CA did not finish in time (the order stays pending or processing).
    acme_timed_out = "certs.acme_timed_out";
    /// Talking to the CA failed (the network, TLS, an answer that does not parse): the library's words.
    acme_failed = "certs.acme_failed"(reason);
    /// A file-system operation failed; `action` is `create`, `read`, `write`, `rename` or `remove`.
    io_failed = "certs.io_failed"(action, path, reason);
    /// `certificates.dir` is a system folder, a parent of one, or not an absolute path.
    dir_refused = "certs.dir_refused"(path);
    /// A path that would leave `certificates.dir`.
    path_refused = "certs.path_refused"(path);
    /// A kept ACME account that does not open (another secret key, a damaged file).
    account_unopenable = "certs.account_unopenable"(path, reason);
    /// The DNS hook could not be started.
    hook_spawn_failed = "certs.hook_spawn_failed"(reason);
    /// The DNS hook ran past its time limit and was killed (`action`: `set` or `clear`).
    hook_timed_out = "certs.hook_timed_out"(action, seconds);
    /// The DNS hook failed; `output` holds its last lines.
    hook_failed = "certs.hook_failed"(action, status, output);
    /// A challenge token that cannot be a file's name.
    token_invalid = "certs.token_invalid"(token);
    /// The certificate's key or CSR could not be made.
    key_failed = "certs.key_failed"(reason);
    /// This build cannot make RSA keys (rcgen on ring signs with RSA but cannot generate it).
    rsa_unsupported = "certs.rsa_unsupported";
    /// An authorization that is neither pending nor valid (`status`: invalid, expired, revoked…).
    authorization_status = "certs.authorization_status"(name, status);
    /// The CA does not offer the certificate's challenge type for a name.
    challenge_not_offered = "certs.challenge_not_offered"(name, challenge);
    /// The order became invalid without saying why.
    order_invalid = "certs.order_invalid";
    /// The chain the CA sent does not read as a certificate.
    chain_unreadable = "certs.chain_unreadable"(reason);
    /// An ARI identifier that is not `aki.serial`.
    ari_id_invalid = "certs.ari_id_invalid"(id);
    /// A renewal window whose times are out of range.
    ari_window_invalid = "certs.ari_window_invalid";
    /// nginx's configuration test failed with the new certificate; the previous one was put back.
    nginx_test_failed = "certs.nginx_test_failed"(output);
    /// nginx's reload failed; the previous certificate was put back.
    nginx_reload_failed = "certs.nginx_reload_failed"(output);

    /// An order begins.
    ordering = "certs.ordering"(names, directory);
    /// The CA issued a certificate.
    issued = "certs.issued"(serial, not_after);
    /// The certificate was installed and nginx reloaded (or no nginx is configured).
    installed = "certs.installed"(path);
    /// A redelivered job installs the certificate an earlier attempt got.
    installing_staged = "certs.installing_staged"(serial);
    /// The certificate an earlier attempt got is no longer on disk: it cannot be installed.
    staged_missing = "certs.staged_missing"(serial);
    /// Nothing to do: the certificate has no order under way (`status`: installed, failed, deleted…).
    nothing_to_do = "certs.nothing_to_do"(status);
    /// The order failed at `step`.
    failed = "certs.failed"(step, reason);
    /// The job's certificate was never requested.
    certificate_missing = "certs.certificate_missing"(certificate);
    /// The job's payload lacks an id.
    payload_missing = "certs.payload_missing"(name);
    /// A stream this build cannot read.
    stream_unreadable = "certs.stream_unreadable"(stream, reason);
    /// Reading a stream failed (the database).
    read_failed = "certs.read_failed"(stream, reason);
    /// Reading a read model failed (the database).
    query_failed = "certs.query_failed"(table, reason);
    /// Recording a fact failed (the database).
    record_failed = "certs.record_failed"(fact, reason);
    /// Recording a fact kept conflicting with other writers.
    record_conflicts = "certs.record_conflicts"(fact);
}
