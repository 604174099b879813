//! The `recallform` binary: a thin shell over the library.

fn main() -> std::process::ExitCode {
    recallform::cli::main()
}
