//! The switch against a real nginx (see `site`): it sends requests to the new colour, and when nginx's test or
//! reload fails, the previous upstream is back in place and the old colour keeps serving. The load test is in
//! `load`.

mod load;
mod site;

use std::time::{Duration, Instant};

use lawha_deploy_worker::engine::{
    EngineError,
    nginx::{current_port, upstream_line},
    runtime::Colour,
};

use crate::support::Log;
use site::Site;

#[tokio::test]
async fn after_the_switch_nginx_serves_the_new_colour() {
    let site = Site::start().await;
    let mut log = Log::new();
    let green = site.port_of(Colour::Green);
    let switched = site.nginx.switch(&site.upstream_file, green, &log.tx).await.expect("switched");
    // nginx's reload is asynchronous: for a few milliseconds the old workers may still take connections with the
    // old upstream (blue, which still runs, as it does through a deployment's drain). From then on: only green.
    let returned = Instant::now();
    let (mut streak, mut settled) = (0, None);
    while streak < 20 {
        assert!(returned.elapsed() < Duration::from_secs(5), "nginx still answers from blue");
        match site.get().await.as_deref() {
            Ok("green") if streak == 0 => (streak, settled) = (1, Some(returned.elapsed())),
            Ok("green") => streak += 1,
            Ok("blue") => streak = 0,
            other => panic!("a request failed during the switch: {other:?}"),
        }
    }
    println!(
        "switch to green: {} ms (write, nginx -t, nginx -s reload); only green answers from {} ms after it returned",
        switched.duration.as_millis(),
        settled.unwrap_or_default().as_millis()
    );
    assert_eq!(switched.previous, Some(site.port_of(Colour::Blue)));
    assert_eq!(current_port(&site.upstream_file).await.unwrap(), Some(green));
    let codes: Vec<String> = log.drain().into_iter().map(|m| m.code).filter(|c| c != "text").collect();
    assert_eq!(codes, ["deploy.switching", "deploy.switched"]);
}

#[tokio::test]
async fn a_configuration_nginx_refuses_leaves_the_old_colour_serving() {
    let site = Site::start().await;
    site.break_config(true);
    let green = site.port_of(Colour::Green);
    let error = site.nginx.switch(&site.upstream_file, green, &Log::new().tx).await.expect_err("nginx -t fails");
    let EngineError::Switch { port, cause, restore: None } = &error else { panic!("{error:?}") };
    assert_eq!(*port, green);
    let EngineError::Failed { command, output, .. } = cause.as_ref() else { panic!("{cause:?}") };
    assert!(command.ends_with(" -t"), "{command}");
    assert!(output.iter().any(|line| line.contains("test failed")), "nginx's words: {output:?}");
    assert_eq!(std::fs::read_to_string(&site.upstream_file).unwrap(), upstream_line(site.port_of(Colour::Blue)));
    for _ in 0..10 {
        assert_eq!(site.get().await.as_deref(), Ok("blue"));
    }
    site.break_config(false);
}

#[tokio::test]
async fn a_failed_reload_puts_the_previous_upstream_back_and_reloads_it() {
    let mut site = Site::start().await;
    // A reload command that fails the first time it runs and reloads the real nginx after that.
    let once = site.dir.path().join("reload-failed-once");
    let real = site.nginx.reload.join(" ");
    let script = format!(
        "if [ -e '{once}' ]; then exec {real}; fi; touch '{once}'; echo 'reload refused' >&2; exit 1",
        once = once.display()
    );
    site.nginx.reload = vec!["sh".into(), "-c".into(), script];
    let green = site.port_of(Colour::Green);
    let error = site.nginx.switch(&site.upstream_file, green, &Log::new().tx).await.expect_err("reload fails");
    let EngineError::Switch { cause, restore: None, .. } = &error else { panic!("{error:?}") };
    assert_eq!(cause.output(), ["reload refused"]);
    assert!(once.exists(), "the reload ran");
    assert_eq!(current_port(&site.upstream_file).await.unwrap(), Some(site.port_of(Colour::Blue)));
    for _ in 0..10 {
        assert_eq!(site.get().await.as_deref(), Ok("blue"));
    }
}

#[tokio::test]
async fn an_upstream_file_that_is_not_one_server_line_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shop.conf");
    assert_eq!(current_port(&file).await.unwrap(), None, "no file yet: the first deployment");
    std::fs::write(&file, "server 10.0.0.7:80;\n").unwrap();
    let error = current_port(&file).await.expect_err("not ours");
    assert!(matches!(error, EngineError::UpstreamUnreadable { ref content, .. } if content.contains("10.0.0.7")));
}
