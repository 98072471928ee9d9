//! The `trappan` binary: see the crate `trappan` for the commands.

fn main() -> std::process::ExitCode {
    trappan::cli::main()
}
