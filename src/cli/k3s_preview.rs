//! `scheduler-k3s:preview`: the diff of what the next deploy would change, as Dokku prints it
//! (helm-diff's format), or as JSON with the changed objects and field paths.

use std::io::{IsTerminal, Write};

use clap::Subcommand;

use super::args::existing_app;
use super::output::Format;
use super::terminal::Terminal;
use super::{CliError, Ctx};
use crate::model::preview::{Change, ObjectDiff, SecretView, Tag, with_context};
use crate::ops::preview::{self as ops_preview, Preview, PreviewOpts};

#[derive(Debug, Subcommand)]
pub enum K3sPreview {
    /// Displays a diff between the current and next deployment for an app
    #[command(
        name = "scheduler-k3s:preview",
        after_help = "Compares the app's live release with what its next deploy (same image, the \
stored settings) would apply, object by object. Secret values are redacted unless asked for.

Exit status: 0, or with --exit-code / --format json: 0 when nothing would change, 1 when \
something would, 2 when the preview failed.

Examples:
  berth scheduler-k3s:preview my-app
  berth scheduler-k3s:preview my-app --context 0
  berth scheduler-k3s:preview my-app --context -1          # whole objects
  berth scheduler-k3s:preview my-app --show-secrets-decoded
  berth scheduler-k3s:preview my-app --image registry.example.com/my-app:2   # what that deploy changes
  berth scheduler-k3s:preview my-app --format json          # for CI: exit 1 when it would change"
    )]
    Preview {
        app: String,
        /// Unchanged lines shown around each change (-1: the whole object)
        #[arg(
            long,
            default_value_t = 3,
            allow_negative_numbers = true,
            value_name = "N"
        )]
        context: i64,
        /// Show Secret values as stored (base64) instead of redacted
        #[arg(long)]
        show_secrets: bool,
        /// Show Secret values base64-decoded
        #[arg(long)]
        show_secrets_decoded: bool,
        /// Exit 1 when the next deploy would change something (0 when not, 2 on error)
        #[arg(long)]
        exit_code: bool,
        /// Preview `deploy --image IMAGE` (default: a redeploy of the deployed image)
        #[arg(long, value_name = "IMAGE")]
        image: Option<String>,
        #[arg(long, short = 'o', value_enum, default_value_t)]
        format: Format,
    },
}

impl K3sPreview {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        let K3sPreview::Preview {
            app,
            context,
            show_secrets,
            show_secrets_decoded,
            exit_code,
            image,
            format,
        } = self;
        let gate = exit_code || format == Format::Json;
        let trouble = |e: CliError| if gate { CliError { code: 2, ..e } } else { e };
        let app = existing_app(&ctx.store, &app).map_err(trouble)?;
        let secrets = match (show_secrets_decoded, show_secrets) {
            (true, _) => SecretView::Decoded,
            (false, true) => SecretView::Base64,
            (false, false) => SecretView::Redacted,
        };
        let opts = PreviewOpts {
            app,
            secrets,
            image,
        };
        let preview = ops_preview::preview(ctx, &opts, &Terminal::new(false))
            .map_err(|e| trouble(e.into()))?;
        let shown = match format {
            Format::Json => print_json(&preview),
            Format::Stdout => print_diff(&preview, usize::try_from(context).ok()),
        };
        // A reader that went away (`| head`) is not a failure of the preview.
        if let Err(e) = shown
            && e.kind() != std::io::ErrorKind::BrokenPipe
        {
            return Err(trouble(CliError::msg(format!("writing the preview: {e}"))));
        }
        if gate && !preview.objects.is_empty() {
            return Err(CliError {
                message: String::new(),
                hint: None,
                code: 1,
            });
        }
        Ok(())
    }
}

fn print_json(preview: &Preview) -> std::io::Result<()> {
    let objects: Vec<serde_json::Value> = preview
        .objects
        .iter()
        .map(|o| {
            let mut v = serde_json::to_value(o).unwrap_or_default();
            v["diff"] = serde_json::Value::String(diff_text(o, None, false));
            v
        })
        .collect();
    let doc = serde_json::json!({
        "app": preview.app.to_string(),
        "namespace": preview.namespace,
        "revision": preview.revision,
        "changed": !preview.objects.is_empty(),
        "objects": objects,
    });
    writeln!(std::io::stdout().lock(), "{doc}")
}

fn print_diff(preview: &Preview, context: Option<usize>) -> std::io::Result<()> {
    let color = super::global_flags::current()
        .color
        .enabled(std::io::stdout().is_terminal());
    let mut out = std::io::stdout().lock();
    for o in &preview.objects {
        let header = format!("{} {}", o.key, o.change.phrase());
        let header_color = match o.change {
            Change::Added => GREEN,
            Change::Removed => RED,
            Change::Changed => YELLOW,
        };
        writeln!(out, "{}", paint(&header, header_color, color))?;
        out.write_all(diff_text(o, context, color).as_bytes())?;
    }
    out.flush()
}

const GREEN: &str = "32";
const RED: &str = "31";
const YELLOW: &str = "33";

fn paint(text: &str, code: &str, color: bool) -> String {
    if color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_owned()
    }
}

/// An object's diff lines as helm-diff prints them: `+ `, `- `, `  ` and `...` for an elided run.
fn diff_text(o: &ObjectDiff, context: Option<usize>, color: bool) -> String {
    let mut text = String::new();
    for line in with_context(&o.lines, context) {
        let shown = match line {
            None => "...".to_owned(),
            Some(l) => match l.tag {
                Tag::Added => paint(&format!("+ {}", l.text), GREEN, color),
                Tag::Removed => paint(&format!("- {}", l.text), RED, color),
                Tag::Same if l.text.is_empty() => String::new(),
                Tag::Same => format!("  {}", l.text),
            },
        };
        text.push_str(&shown);
        text.push('\n');
    }
    text
}
