//! The `recallform` binary: a thin shell over the library.

#![forbid(unsafe_code)]

fn main() -> std::process::ExitCode {
    recallform::cli::main()
}
