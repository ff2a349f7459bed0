//! The messages of the certificates capability in the panel: what a certificate's input is checked for here and
//! what a request names that does not exist. The rules' own messages are the domain's
//! (`lawha_domain::certificates::messages`).

lawha_domain::messages! {
    /// A host whose cert worker cannot be reached (no worker registered it, and it is not the panel's own).
    host_unknown = "certificates_api.host_unknown"(host, known);
    /// No certificate with this id.
    certificate_missing = "certificates_api.certificate_missing"(id);
    /// The challenge is neither http-01 nor dns-01.
    challenge_unknown = "certificates_api.challenge_unknown"(challenge);
    /// dns-01 without a hook command.
    dns_hook_missing = "certificates_api.dns_hook_missing";
    /// A hook given with http-01, which has no use for it.
    dns_hook_unused = "certificates_api.dns_hook_unused";
    /// A trusted root given with a directory of Let's Encrypt, whose roots are trusted already.
    trusted_root_unused = "certificates_api.trusted_root_unused";
    /// The key type is none of those offered.
    key_type_unknown = "certificates_api.key_type_unknown"(key_type);
}
