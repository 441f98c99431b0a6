//! `tripline completions`.

use std::process::ExitCode;

use clap::Args;

use super::io;

/// Arguments of `completions`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh or fish.
    shell: Shell,
}

/// The shells completions are written for.
#[derive(Clone, Copy, clap::ValueEnum)]
enum Shell {
    Bash,
    Zsh,
    Fish,
}

/// `completions`: the script on stdout.
pub fn run(a: CompletionsArgs, mut cmd: clap::Command) -> ExitCode {
    use clap_complete::Shell as S;
    let shell = match a.shell {
        Shell::Bash => S::Bash,
        Shell::Zsh => S::Zsh,
        Shell::Fish => S::Fish,
    };
    let mut buf = Vec::new();
    clap_complete::generate(shell, &mut cmd, "tripline", &mut buf);
    let _ = io::out(&String::from_utf8_lossy(&buf));
    ExitCode::SUCCESS
}
