fn main() {
    quiet_on_closed_pipe();
    std::process::exit(berth::cli::run());
}

/// `berth apps:report | head -1`: once the reader has gone, the next `println!` fails with
/// EPIPE, which std turns into a panic. That is not a bug of berth's but the end of its audience:
/// exit quietly with the status a SIGPIPE death would give (128 + 13), as `cat` or `ls` do.
/// Every other panic is reported as usual. (SIGPIPE itself stays ignored, so a closed socket or
/// a child's closed stdin is an error berth handles, not a silent death.)
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or_default();
        let closed = (message.starts_with("failed printing to stdout")
            || message.starts_with("failed printing to stderr"))
            && message.contains("Broken pipe");
        if closed {
            std::process::exit(141);
        }
        default(info);
    }));
}
