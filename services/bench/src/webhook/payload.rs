//! The deliveries both receivers are sent: GitHub's `push` payload in its documented shape (repository, pusher,
//! sender, head commit and its commits, about 2 KB as a small real push is), each with a delivery id and an
//! `after` of its own, signed as GitHub signs (`X-Hub-Signature-256: sha256=<HMAC-SHA256 of the raw body>`).
//!
//! The body is rendered once with markers and each delivery only fills them in, so making a delivery costs the
//! load generator a few microseconds, not a JSON serialisation.

use hmac::{Hmac, KeyInit, Mac as _};
use serde_json::json;
use sha2::Sha256;

const AFTER: &str = "@@AFTER@@";
const BEFORE: &str = "@@BEFORE@@";

/// One delivery, ready to send.
pub struct Delivery {
    /// `X-GitHub-Delivery`: a GUID of its own.
    pub id: String,
    /// The raw JSON body.
    pub body: Vec<u8>,
    /// `X-Hub-Signature-256`.
    pub signature: String,
}

/// Makes the deliveries of one receiver: the same shape for both, told apart by `run`.
#[derive(Clone)]
pub struct Deliveries {
    template: String,
    secret: Vec<u8>,
    run: u32,
}

impl Deliveries {
    /// Pushes to `branch` signed with `secret`; `run` keeps the ids and commits of two runs apart.
    pub fn new(branch: &str, secret: &str, run: u32) -> Self {
        Self { template: template(branch), secret: secret.as_bytes().to_vec(), run }
    }

    /// The `n`th delivery: its own delivery id and `after` (and the previous one's `after` as `before`).
    pub fn make(&self, n: u64) -> Delivery {
        self.of_commit(n, &commit(self.run, n), &commit(self.run, n.wrapping_sub(1)))
    }

    /// The `n`th delivery, a push of `after` over `before` (a real commit, for a real deployment).
    pub fn of_commit(&self, n: u64, after: &str, before: &str) -> Delivery {
        let body = self.template.replace(AFTER, after).replace(BEFORE, before);
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&self.secret).expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        let signature = format!("sha256={}", hex::encode(mac.finalize().into_bytes()));
        let id = uuid::Uuid::from_u128((u128::from(self.run) << 64) | u128::from(n)).hyphenated().to_string();
        Delivery { id, body: body.into_bytes(), signature }
    }

    /// The size of a delivery's body in bytes.
    pub fn size(&self) -> usize {
        self.make(0).body.len()
    }
}

/// A 40-hex-digit commit id of its own for delivery `n` of `run`.
fn commit(run: u32, n: u64) -> String {
    format!("{run:08x}{:032x}", u128::from(n).wrapping_mul(0x9e37_79b9_7f4a_7c15_f39c_c060_5ced_c835))
}

/// A push of one commit to `branch` of `example/shop`, as GitHub documents the event.
fn template(branch: &str) -> String {
    let person = json!({ "name": "Amira Haddad", "email": "amira@example.com", "username": "amira" });
    let commit = json!({
        "id": AFTER, "tree_id": "9c1f0d2e3b4a5968778695a4b3c2d1e0f9e8d7c6", "distinct": true,
        "message": "Fix the cart total when a coupon and a gift card are combined",
        "timestamp": "2025-05-14T09:21:47+03:00",
        "url": format!("https://github.com/example/shop/commit/{AFTER}"),
        "author": person, "committer": person,
        "added": ["tests/cart_coupon_gift_card.py"], "removed": [], "modified": ["shop/cart.py", "CHANGELOG.md"],
    });
    let owner = json!({
        "name": "example", "email": null, "login": "example", "id": 5_812_311, "html_url": "https://github.com/example",
        "type": "Organization", "site_admin": false,
    });
    let payload = json!({
        "ref": format!("refs/heads/{branch}"), "before": BEFORE, "after": AFTER,
        "repository": {
            "id": 482_194_553, "node_id": "R_kgDOHL2ZeQ", "name": "shop", "full_name": "example/shop", "private": true,
            "owner": owner, "html_url": "https://github.com/example/shop", "description": "The shop's web app",
            "fork": false, "url": "https://github.com/example/shop", "created_at": 1_650_000_000,
            "updated_at": "2025-05-14T06:10:02Z", "pushed_at": 1_747_203_707,
            "git_url": "git://github.com/example/shop.git", "ssh_url": "git@github.com:example/shop.git",
            "clone_url": "https://github.com/example/shop.git", "default_branch": branch,
        },
        "pusher": { "name": "amira", "email": "amira@example.com" },
        "sender": {
            "login": "amira", "id": 1_937_331, "html_url": "https://github.com/amira",
            "type": "User", "site_admin": false,
        },
        "created": false, "deleted": false, "forced": false, "base_ref": null,
        "compare": format!("https://github.com/example/shop/compare/{BEFORE}...{AFTER}"),
        "commits": [commit], "head_commit": commit,
    });
    payload.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_delivery_is_a_signed_push_of_its_own_commit_of_about_two_kilobytes() {
        let deliveries = Deliveries::new("main", "s3cret", 7);
        let (a, b) = (deliveries.make(1), deliveries.make(2));
        assert_ne!(a.id, b.id);
        let value: serde_json::Value = serde_json::from_slice(&b.body).unwrap();
        assert_eq!(value["ref"], "refs/heads/main");
        assert_eq!(value["before"], serde_json::from_slice::<serde_json::Value>(&a.body).unwrap()["after"]);
        assert_eq!(value["head_commit"]["id"], value["after"]);
        assert_eq!(value["after"].as_str().unwrap().len(), 40);
        assert!((1800..=2600).contains(&deliveries.size()), "{} bytes", deliveries.size());
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"s3cret").unwrap();
        mac.update(&b.body);
        assert_eq!(b.signature, format!("sha256={}", hex::encode(mac.finalize().into_bytes())));
    }
}
