//! What the binary's test crates share: the binary without the machine's credentials, and
//! its output read back.
#![allow(dead_code)]

use std::process::{Command, Output};

/// The variables credentials are read from; removed so that no test reads the machine's.
pub const CREDENTIAL_VARS: [&str; 5] = [
    "PARTNER_ALERTS_TOKEN",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "PARTNER_CENTER_REFRESH_TOKEN",
];

/// The binary with no credentials in its environment, whatever the machine has.
pub fn cli() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_partner-alerts"));
    for var in CREDENTIAL_VARS {
        c.env_remove(var);
    }
    c
}

/// Runs the binary with `args` and waits for it.
pub fn run(args: &[&str]) -> Output {
    cli().args(args).output().expect("the binary runs")
}

/// Runs `c` on a blocking thread, for tests whose emulator runs on the same runtime.
pub async fn output(mut c: Command) -> Output {
    tokio::task::spawn_blocking(move || c.output().expect("the binary runs"))
        .await
        .unwrap()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, showing both outputs when it differs.
#[track_caller]
pub fn assert_exit(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        stdout(o),
        stderr(o)
    );
}
