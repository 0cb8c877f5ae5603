//! `partner-alerts`: see and answer Azure partner security alerts from a shell, across every
//! Partner Center tenant you run. Built on the `partner_alerts` library; every command runs
//! on Microsoft Graph, the legacy FraudEvents API, the bundled emulator or many tenants.

mod cli;
mod commands;
mod connect;
mod duration;
mod enrich;
mod exit;
mod html;
mod problems;
mod progress;
mod query;
mod table;
mod tenants_file;

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::cli::{Cli, Command};
use crate::connect::Session;
use crate::exit::{Failure, Outcome};

fn main() -> ExitCode {
    // Clap's own usage errors exit with 2, its help and version with 0.
    let cli = Cli::parse();
    if let Command::Completions(args) = &cli.command {
        clap_complete::generate(
            args.shell,
            &mut Cli::command(),
            "partner-alerts",
            &mut std::io::stdout(),
        );
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => return report(Failure::Error(format!("cannot start: {e}"))),
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(f) => report(f),
    }
}

fn report(failure: Failure) -> ExitCode {
    match &failure {
        Failure::Closed => {}
        Failure::Usage(m) => eprintln!("error: {m}\n\nFor more information, try '--help'."),
        Failure::Error(m) | Failure::Partial(m) => eprintln!("error: {m}"),
    }
    failure.code()
}

async fn run(cli: Cli) -> Outcome {
    if let Command::Doctor(args) = &cli.command {
        // It checks the setup a session would need, so it opens none.
        return commands::doctor::run(&cli.global, args).await;
    }
    let session = Session::open(&cli.global).await?;
    let json = cli.global.json;
    if let Command::Watch(args) = &cli.command {
        // It handles SIGTERM and Ctrl-C itself, to save its checkpoint.
        let result = commands::watch::run(&session, args, json).await;
        session.close().await;
        return result;
    }
    if let Command::Webhooks(args) = &cli.command {
        // `serve` handles SIGTERM and Ctrl-C itself, to drain its queue.
        let result = commands::webhooks::run(&session, args, json).await;
        session.close().await;
        return result;
    }
    let result = tokio::select! {
        r = async {
            match &cli.command {
                Command::List(args) => commands::list::run(&session, args, json).await,
                Command::Get(args) => commands::get::run(&session, args, json).await,
                Command::Dashboard(args) => commands::dashboard::run(&session, args, json).await,
                Command::Resolve(args) => commands::resolve::run(&session, args, json).await,
                Command::Score(args) => commands::score::run(&session, args, json).await,
                Command::Respond(args) => commands::respond::run(&session, args, json).await,
                Command::Completions(_) | Command::Watch(_) | Command::Doctor(_) | Command::Webhooks(_) => Ok(()),
            }
        } => r,
        _ = tokio::signal::ctrl_c() => Err(Failure::Error("interrupted".into())),
    };
    session.close().await;
    result
}
