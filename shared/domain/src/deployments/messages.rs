//! The messages of the deployment rules: a site's problems field by field, why a command on a site or a
//! deployment was refused, why a webhook's signature was refused and why a delivery deploys nothing.

crate::messages! {
    /// A field and its problem, as one line of a list of problems (`branch must be …`).
    field_problem = "deployments.field_problem"(field, problem);
    /// Every problem of a site, in one sentence.
    site_invalid = "deployments.site_invalid"(problems);
    /// The site's name breaks the naming rule.
    name_invalid = "deployments.name_invalid";
    /// A repository that is not an https, ssh or file URL of the accepted shapes.
    repository_invalid = "deployments.repository_invalid";
    /// A repository URL with a user name or password in it, which would enter the log in clear.
    repository_credentials = "deployments.repository_credentials";
    /// A branch that is not a valid git branch name.
    branch_invalid = "deployments.branch_invalid";
    /// A deploy key with a repository that is not reached over SSH.
    deploy_key_needs_ssh = "deployments.deploy_key_needs_ssh";
    /// A build or start command that is blank, too long or holds control characters.
    command_invalid = "deployments.command_invalid";
    /// A start command that does not use `$PORT`.
    start_command_port = "deployments.start_command_port";
    /// A health path that does not start with `/` or holds spaces or other characters a URL path cannot.
    health_path_invalid = "deployments.health_path_invalid";
    /// An environment variable name that is not letters, digits and `_`, starting with a letter or `_`.
    env_name_invalid = "deployments.env_name_invalid"(name);
    /// An environment variable the deployment sets itself (`PORT`).
    env_name_reserved = "deployments.env_name_reserved"(name);
    /// An environment variable named twice.
    env_name_duplicate = "deployments.env_name_duplicate"(name);
    /// Environment variable names without the reference to their sealed values.
    env_values_missing = "deployments.env_values_missing";
    /// A reference to sealed values without any variable name.
    env_values_unexpected = "deployments.env_values_unexpected";
    /// A port outside 1024-65535.
    port_range = "deployments.port_range";
    /// The blue and green ports are the same.
    ports_same = "deployments.ports_same";
    /// A domain that is not a lowercase host name.
    domain_invalid = "deployments.domain_invalid"(domain);
    /// A domain listed twice.
    domain_duplicate = "deployments.domain_duplicate"(domain);
    /// releases_to_keep outside 1-50.
    releases_to_keep_range = "deployments.releases_to_keep_range";
    /// A host that is not a lowercase host name.
    host_invalid = "deployments.host_invalid";
    /// Create on an existing site.
    site_exists = "deployments.site_exists";
    /// A site that was never created.
    site_not_found = "deployments.site_not_found";
    /// A site that was deleted.
    site_deleted = "deployments.site_deleted";
    /// Request on an existing deployment.
    deployment_exists = "deployments.deployment_exists";
    /// A deployment that was never requested.
    deployment_not_found = "deployments.deployment_not_found";
    /// A commit that is not 40 lowercase hexadecimal digits.
    commit_invalid = "deployments.commit_invalid"(commit);
    /// A fetched commit other than the one the deployment asked for.
    commit_mismatch = "deployments.commit_mismatch"(requested, fetched);
    /// A worker's fact that is not the next step of the deployment.
    fact_out_of_order = "deployments.fact_out_of_order"(fact, status);
    /// A worker's fact after the deployment succeeded or failed.
    deployment_ended = "deployments.deployment_ended"(status);
    /// A switch to another colour than the one started.
    colour_mismatch = "deployments.colour_mismatch"(started, switched);
    /// A request recorded as if a worker had found it.
    not_a_fact = "deployments.not_a_fact"(event_type);
    /// A webhook request without `X-Hub-Signature-256`.
    signature_missing = "deployments.signature_missing";
    /// An `X-Hub-Signature-256` header that is not `sha256=` and 64 hexadecimal digits.
    signature_malformed = "deployments.signature_malformed";
    /// A signature that the site's webhook secret did not make.
    signature_mismatch = "deployments.signature_mismatch";
    /// GitHub's ping when a hook is created.
    delivery_ping = "deployments.delivery_ping";
    /// A push of a tag.
    delivery_tag_push = "deployments.delivery_tag_push"(git_ref);
    /// A push that deleted the site's branch.
    delivery_branch_deleted = "deployments.delivery_branch_deleted"(git_ref);
    /// A push to another branch than the site's.
    delivery_other_branch = "deployments.delivery_other_branch"(git_ref);
    /// An event other than push and ping.
    delivery_other_event = "deployments.delivery_other_event"(event);
    /// A push or ping whose payload lacks a field or holds a wrong value in it.
    delivery_malformed = "deployments.delivery_malformed"(event, field);
}
