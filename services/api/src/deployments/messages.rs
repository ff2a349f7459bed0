//! The messages of the deployments capability in the panel: what a site's input is checked for here, what a
//! request names that does not exist, and what a webhook delivery was answered. The rules' own messages are the
//! domain's (`lawha_domain::deployments::messages`).

lawha_domain::messages! {
    /// Another site has the name.
    name_taken = "deployments.name_taken"(name);
    /// A host no deploy worker registered (and not the panel's own).
    host_unknown = "deployments.host_unknown"(host, known);
    /// A runtime the site's host does not offer.
    runtime_not_offered = "deployments.runtime_not_offered"(runtime, host, offered);
    /// No site with this id.
    site_missing = "deployments.site_missing"(id);
    /// No deployment with this id.
    deployment_missing = "deployments.deployment_missing"(id);
    /// A site's secret that could not be opened (a key nobody configured any more).
    secret_unreadable = "deployments.secret_unreadable";
    /// A webhook delivery without the headers GitHub sends.
    delivery_headers = "deployments.delivery_headers"(header);
    /// A form-encoded delivery without its `payload` field, or a body that is not JSON.
    delivery_body = "deployments.delivery_body"(reason);
    /// A delivery answered before (same hook and delivery id): nothing new was done.
    delivery_repeated = "deployments.delivery_repeated"(delivery);
    /// A push taken into the follow-up deployment that waits for the running one.
    delivery_follows = "deployments.delivery_follows"(deployment);
    /// A number field of the site form holding something else.
    not_a_number = "deployments.not_a_number"(text);
    /// The site form's runtime is none of those offered.
    runtime_choose = "deployments.runtime_choose";
}
