//! The installation on its own: nginx refusing the new pair puts the previous one back; a certificates folder
//! that is a system folder is refused.

use std::path::PathBuf;

use lawha_cert_worker::engine::install::Installer;
use uuid::Uuid;

fn pair(name: &str) -> (String, String) {
    let key = rcgen::KeyPair::generate().unwrap();
    let cert = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap().self_signed(&key).unwrap();
    (cert.pem(), key.serialize_pem())
}

fn installer(dir: PathBuf, test: &str) -> Installer {
    Installer { dir, nginx_test: vec!["sh".into(), "-c".into(), test.into()], nginx_reload: vec!["true".into()] }
}

#[tokio::test]
async fn nginx_refusing_the_new_certificate_puts_the_previous_one_back() {
    let dir = tempfile::tempdir().unwrap();
    let id = Uuid::now_v7();
    let (old_chain, old_key) = pair("old.test");
    let installed = installer(dir.path().to_path_buf(), "true").install(id, &old_chain, &old_key).await.unwrap();
    assert!(installed.nginx_reloaded);
    let (new_chain, new_key) = pair("new.test");

    let refused = installer(dir.path().to_path_buf(), "echo 'nginx: [emerg] cannot load certificate' >&2; exit 1")
        .install(id, &new_chain, &new_key)
        .await
        .unwrap_err();

    assert_eq!(refused.reason.code, "certs.nginx_test_failed");
    assert!(refused.reason.to_string().contains("cannot load certificate"), "{}", refused.reason);
    assert_eq!(std::fs::read_to_string(&installed.certificate_path).unwrap(), old_chain);
    assert_eq!(std::fs::read_to_string(&installed.key_path).unwrap(), old_key);
}

#[tokio::test]
async fn a_system_folder_is_never_written_to() {
    let (chain, key) = pair("x.test");
    for dir in ["/", "/etc", "/usr"] {
        let refused = installer(PathBuf::from(dir), "true").install(Uuid::now_v7(), &chain, &key).await.unwrap_err();
        assert_eq!(refused.reason.code, "certs.dir_refused", "{dir}");
    }
}
