//! `lawha`: reads the configuration, starts telemetry, runs one command.

use std::process::ExitCode;

use clap::Parser as _;
mod cli;

use cli::{AdminCommand, AuditCommand, BackupCommand, Cli, Command, ConfigCommand, ProjectionsCommand, run};
use lawha::{App, app};
use lawha_config::{Config, LoadOptions};

/// EX_CONFIG from sysexits.h: systemd units stop restarting on it (RestartPreventExitStatus=78).
const EXIT_CONFIG: u8 = 78;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mut config = match Config::load(&LoadOptions::from_process(cli.config.clone())) {
        Ok(config) => config,
        Err(problems) => {
            eprintln!("{problems}");
            if let Ok((profile, reason)) = lawha_config::detect_profile(&lawha_config::EnvHints::from_process()) {
                eprintln!("(profile {profile}: {reason}; set LAWHA_ENV=development|production|test to choose)");
            }
            return ExitCode::from(EXIT_CONFIG);
        }
    };
    if matches!(cli.command, Some(Command::Config(ConfigCommand::Check))) {
        print!("{}", config.render_effective());
        println!("# ok: configuration is valid ({} profile: {})", config.profile, config.profile_reason);
        return ExitCode::SUCCESS;
    }
    if let Err(e) = config.ensure_secret_key() {
        eprintln!("error: cannot read or create the development secret key in {}: {e}", config.data_dir.display());
        return ExitCode::from(EXIT_CONFIG);
    }
    // What previous secret keys chained, signed and sealed still verifies and opens (see `previous_secret_keys`).
    lawha_store::keyring::remember_previous_secrets(config.previous_secret_key_bytes());
    if let Err(e) = lawha_telemetry::init(telemetry_format(&config), &config.log.level) {
        eprintln!("error: {e}");
        return ExitCode::from(EXIT_CONFIG);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => {
                tracing::info!(profile = %config.profile, reason = config.profile_reason, "starting");
                App::build(config).await?.run_until_stopped(app::shutdown_signal()).await?;
                Ok(ExitCode::SUCCESS)
            }
            Command::Migrate => run::migrate(&config).await,
            Command::Config(ConfigCommand::Check) => Ok(ExitCode::SUCCESS),
            Command::Audit(AuditCommand::Verify(args)) => cli::audit::verify(&config, &args).await,
            Command::Projections(ProjectionsCommand::Rebuild(args)) => run::projections_rebuild(&config, &args).await,
            Command::Backup(BackupCommand::Verify { file, identity }) => {
                run::backup_verify(&config, &file, identity.as_deref())
            }
            Command::Worker(args) => lawha::jobs::worker::run(&config, &args).await,
            Command::Bench(bench) => lawha_bench::run(&config, &bench).await,
            Command::Admin(AdminCommand::CreateUser { name, role }) => run::create_user(&config, &name, role).await,
            Command::Admin(AdminCommand::CreateToken { name, user, scopes }) => {
                run::create_token(&config, &name, &user, scopes).await
            }
            Command::Admin(AdminCommand::RotateKey) => cli::keys::rotate(&config).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn telemetry_format(config: &Config) -> lawha_telemetry::Format {
    match config.log.format.effective(config.profile) {
        lawha_config::LogFormat::Json => lawha_telemetry::Format::Json,
        _ => lawha_telemetry::Format::Pretty,
    }
}
