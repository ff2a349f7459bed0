//! The messages of the certificate rules: a spec's problems field by field, and why a command on a certificate
//! was refused.

crate::messages! {
    /// A field and its problem, as one line of a list of problems (`names[1] must be …`).
    field_problem = "certificates.field_problem"(field, problem);
    /// Every problem of a certificate, in one sentence.
    certificate_invalid = "certificates.certificate_invalid"(problems);
    /// A certificate without any name.
    names_empty = "certificates.names_empty";
    /// More names than the CA accepts on one certificate.
    names_too_many = "certificates.names_too_many"(count, max);
    /// A name longer than DNS allows.
    name_too_long = "certificates.name_too_long"(name, max);
    /// A name that is not a lowercase host name (or `*.` and one).
    name_invalid = "certificates.name_invalid"(name);
    /// An IP address where a name belongs.
    name_ip_address = "certificates.name_ip_address"(name);
    /// A wildcard with the http-01 challenge, which cannot prove it.
    name_wildcard_needs_dns = "certificates.name_wildcard_needs_dns"(name);
    /// A name listed twice.
    name_duplicate = "certificates.name_duplicate"(name);
    /// A name that a wildcard among the names already covers.
    name_redundant = "certificates.name_redundant"(name, wildcard);
    /// A DNS-01 hook that is empty or only spaces.
    dns_hook_blank = "certificates.dns_hook_blank";
    /// A DNS-01 hook longer than the limit.
    dns_hook_too_long = "certificates.dns_hook_too_long"(max);
    /// A DNS-01 hook with a control character.
    dns_hook_control = "certificates.dns_hook_control";
    /// A custom directory that is not a URL of the accepted shape.
    directory_url_invalid = "certificates.directory_url_invalid";
    /// A custom directory over http to another host than this machine.
    directory_not_https = "certificates.directory_not_https";
    /// A trusted root that is not an absolute path.
    trusted_root_invalid = "certificates.trusted_root_invalid";
    /// A contact address that is not an e-mail address.
    email_invalid = "certificates.email_invalid";
    /// A profile name that is not 1-64 lowercase letters, digits and `-`.
    profile_invalid = "certificates.profile_invalid";
    /// A host that is not a host's name.
    host_invalid = "certificates.host_invalid";
    /// Request on an existing certificate.
    certificate_exists = "certificates.certificate_exists";
    /// A certificate that was never requested.
    certificate_not_found = "certificates.certificate_not_found";
    /// A certificate that was deleted.
    certificate_deleted = "certificates.certificate_deleted";
    /// A renewal asked while an order is under way.
    order_under_way = "certificates.order_under_way";
    /// A worker's fact of an order when none is under way.
    no_order_under_way = "certificates.no_order_under_way";
    /// A fact about a certificate when none was issued.
    not_issued = "certificates.not_issued";
    /// A fact about another certificate than the current one.
    serial_mismatch = "certificates.serial_mismatch"(current, given);
    /// An issued certificate whose validity ends before it starts.
    validity_inverted = "certificates.validity_inverted";
    /// A renewal window whose end is not after its start.
    window_inverted = "certificates.window_inverted";
    /// A worker's fact with a value of the wrong shape.
    fact_invalid = "certificates.fact_invalid"(field);
}
