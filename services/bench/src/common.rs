//! What the benchmarks share: throwaway databases on the admin server, a token for the panel they start (made
//! with this binary's own `lawha admin` commands, as an operator would), the Python of the references, the
//! clean-up of a Redis key namespace, and the number format of their tables.

use std::{
    path::{Path, PathBuf},
    process::Stdio,
};

use anyhow::{Context as _, bail};
use sqlx::{AssertSqlSafe, Connection as _, PgConnection, Row as _};
use tokio::{io::AsyncWriteExt as _, process::Command};

/// Flushes what the previous phase left dirty, so its writes are not billed to the next phase. Without the
/// privilege (superuser or pg_checkpoint) the phases simply run unsettled.
pub async fn settle(admin_url: &str) {
    let _ = admin_exec(admin_url, "CHECKPOINT").await;
}

/// Creates a throwaway database, remembering it for the final clean-up before anything can fail.
pub async fn create_database(admin_url: &str, name: &str, created: &mut Vec<String>) -> anyhow::Result<()> {
    admin_exec(admin_url, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)")).await?;
    created.push(name.to_owned());
    admin_exec(admin_url, &format!("CREATE DATABASE \"{name}\"")).await.map(drop)
}

/// One statement on the admin server, on its own short-lived connection (CREATE/DROP DATABASE refuse
/// transactions); returns the first column of the first row as text, or "" when there is none.
pub async fn admin_exec(admin_url: &str, sql: &str) -> anyhow::Result<String> {
    let mut conn = PgConnection::connect(admin_url).await.context("connecting to --admin-url")?;
    let row = sqlx::raw_sql(AssertSqlSafe(sql.to_owned())).fetch_optional(&mut conn).await.context(sql.to_owned())?;
    conn.close().await?;
    Ok(row.and_then(|r| r.try_get::<String, _>(0).ok()).unwrap_or_default())
}

/// The admin URL with its database replaced by `db`, keeping credentials and query parameters.
pub fn database_url(admin_url: &str, db: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let end = base[authority_start..].find('/').map_or(base.len(), |i| authority_start + i);
    let query = query.map(|q| format!("?{q}")).unwrap_or_default();
    format!("{}/{db}{query}", &base[..end])
}

/// 12345.6 → "12,346".
pub fn thousands(value: f64) -> String {
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)] // rates are small and non-negative
    let digits = (value.round().max(0.0) as u64).to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Creates the admin `bench` (role admin) on the database at `url` and issues it a token with `scope`, through
/// this binary's `lawha admin create-user` and `create-token` (the same configuration a started panel gets:
/// `secret` is `LAWHA_SECRET_KEY`); returns the token.
pub async fn bench_token(url: &str, secret: &str, data_dir: &Path, scope: &str) -> anyhow::Result<String> {
    let exe = std::env::current_exe().context("locating this binary")?;
    let command = |args: &[&str]| {
        let mut command = Command::new(&exe);
        command
            .args(args)
            .env("LAWHA_ENV", "development")
            .env("LAWHA_DATABASE_URL", url)
            .env("LAWHA_DATA_DIR", data_dir)
            .env("LAWHA_SECRET_KEY", secret)
            .env("LAWHA_LOG__LEVEL", "warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };
    let mut create = command(&["admin", "create-user", "bench", "--role", "admin"]).spawn()?;
    if let Some(mut stdin) = create.stdin.take() {
        stdin.write_all(b"bench password, long enough\n").await?;
    }
    let created = create.wait_with_output().await?;
    if !created.status.success() {
        bail!("lawha admin create-user failed: {}", String::from_utf8_lossy(&created.stderr).trim());
    }
    let issued = command(&["admin", "create-token", "bench", "--user", "bench", "--scope", scope]).output().await?;
    if !issued.status.success() {
        bail!("lawha admin create-token failed: {}", String::from_utf8_lossy(&issued.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&issued.stdout).trim().to_owned())
}

/// The Python of the benchmarks' virtual environment, `target/venv` in the workspace (the one `ops/contract.sh`
/// installs Schemathesis into), with `packages` installed into it by pip when `modules` do not all import yet: the
/// references run the versions asked for here, whatever the system's Python has.
pub async fn python_with(packages: &[&str], modules: &[&str]) -> anyhow::Result<PathBuf> {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR")).ancestors().nth(2).context("the workspace's folder")?;
    let venv = workspace.join("target").join("venv");
    let python = venv.join("bin").join("python");
    let run = |program: &Path, args: Vec<String>| {
        let mut command = Command::new(program);
        command.args(args).stdin(Stdio::null()).stdout(Stdio::null()).stderr(Stdio::piped());
        command
    };
    if !python.exists() {
        println!("installing a Python virtual environment into {}", venv.display());
        let made = run(Path::new("python3"), vec!["-m".into(), "venv".into(), venv.display().to_string()])
            .output()
            .await
            .context("running python3 -m venv (apt-get install python3-venv)")?;
        if !made.status.success() {
            bail!("python3 -m venv failed: {}", String::from_utf8_lossy(&made.stderr).trim());
        }
    }
    let check = vec!["-c".to_owned(), format!("import {}", modules.join(", "))];
    if run(&python, check.clone()).status().await.is_ok_and(|s| s.success()) {
        return Ok(python);
    }
    println!("installing {} into {}", packages.join(" "), venv.display());
    let pip = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"].map(str::to_owned);
    let installed = run(&python, pip.into_iter().chain(packages.iter().map(|p| (*p).to_owned())).collect())
        .output()
        .await
        .context("running pip")?;
    if !installed.status.success() || !run(&python, check).status().await.is_ok_and(|s| s.success()) {
        bail!("pip install {} failed: {}", packages.join(" "), String::from_utf8_lossy(&installed.stderr).trim());
    }
    Ok(python)
}

/// Removes every Redis key under `namespace`, so a bench leaves no queue behind (a run stores some 30,000 keys).
pub async fn forget_namespace(url: &str, namespace: &str) -> anyhow::Result<()> {
    let mut conn = redis::Client::open(url)?.get_multiplexed_async_connection().await?;
    let mut cursor = 0u64;
    loop {
        let (next, keys): (u64, Vec<String>) = redis::cmd("SCAN")
            .arg(cursor)
            .arg("MATCH")
            .arg(format!("{namespace}:*"))
            .arg("COUNT")
            .arg(1000)
            .query_async(&mut conn)
            .await?;
        if !keys.is_empty() {
            let _: u64 = redis::cmd("UNLINK").arg(&keys).query_async(&mut conn).await?;
        }
        if next == 0 {
            return Ok(());
        }
        cursor = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_only_the_database_of_the_admin_url() {
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1:5432/postgres", "b"),
            "postgres://postgres@127.0.0.1:5432/b"
        );
        assert_eq!(database_url("postgres://u:p@h?sslmode=disable", "b"), "postgres://u:p@h/b?sslmode=disable");
    }

    #[test]
    fn groups_thousands() {
        assert_eq!(thousands(9812.4), "9,812");
        assert_eq!(thousands(123.0), "123");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
    }
}
