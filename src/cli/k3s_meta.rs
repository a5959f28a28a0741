//! `scheduler-k3s:annotations:set|report` and `scheduler-k3s:labels:set|report`: user metadata
//! added to the objects berth renders (see the reference §5.9 for where each resource type lands).

use clap::{Args, Subcommand};

use super::args::{existing_scope, report_scopes};
use super::output::{Format, info2, invalid_flag, print_json, print_padded, warn};
use super::{CliError, Ctx};
use crate::model::ProcessType;
use crate::model::meta::{
    MetaKind, ResourceType, UserMeta, validate_annotation_value, validate_label_value,
    validate_meta_key,
};
use crate::store::{Doc, Scope, Store, docs};

#[derive(Debug, Args)]
pub struct MetaSet {
    #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
    target: String,
    /// Key, e.g. example.com/team
    #[arg(allow_hyphen_values = true)]
    key: String,
    /// Value; omit or pass "" to remove the key
    #[arg(allow_hyphen_values = true)]
    value: Option<String>,
    /// Only this process type (default: every process type of the app)
    #[arg(long)]
    process_type: Option<String>,
    /// Object kind the key goes on
    #[arg(long, required = true)]
    resource_type: String,
}

#[derive(Debug, Args)]
pub struct MetaReport {
    #[arg(value_name = "APP|--global", allow_hyphen_values = true)]
    target: Option<String>,
    #[arg(long, short = 'o', value_enum, default_value_t)]
    format: Format,
    /// Only entries of this process type (`global` for app-wide entries)
    #[arg(long)]
    process_type: Option<String>,
    /// Only entries of this resource type
    #[arg(long)]
    resource_type: Option<String>,
    #[arg(long, hide = true, allow_hyphen_values = true)]
    info_flag: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum K3sMeta {
    /// Set or remove (empty value) an annotation added to the app's Kubernetes objects
    #[command(
        name = "scheduler-k3s:annotations:set",
        after_help = "Examples:\n  berth scheduler-k3s:annotations:set my-app example.com/team payments --resource-type deployment\n  berth scheduler-k3s:annotations:set my-app prometheus.io/scrape true --resource-type pod --process-type web\n  berth scheduler-k3s:annotations:set my-app prometheus.io/scrape --resource-type pod --process-type web   # remove"
    )]
    AnnotationsSet(MetaSet),
    /// Show the annotations added to an app's objects
    #[command(
        name = "scheduler-k3s:annotations:report",
        after_help = "Examples:\n  berth scheduler-k3s:annotations:report my-app\n  berth scheduler-k3s:annotations:report my-app --format json --resource-type pod\n  berth scheduler-k3s:annotations:report my-app --scheduler-k3s-annotations.web.pod.prometheus.io/scrape"
    )]
    AnnotationsReport(MetaReport),
    /// Set or remove (empty value) a label added to the app's Kubernetes objects
    #[command(
        name = "scheduler-k3s:labels:set",
        after_help = "Examples:\n  berth scheduler-k3s:labels:set my-app team payments --resource-type deployment\n  berth scheduler-k3s:labels:set my-app tier frontend --resource-type service --process-type web"
    )]
    LabelsSet(MetaSet),
    /// Show the labels added to an app's objects
    #[command(
        name = "scheduler-k3s:labels:report",
        after_help = "Examples:\n  berth scheduler-k3s:labels:report my-app\n  berth scheduler-k3s:labels:report --global --format json"
    )]
    LabelsReport(MetaReport),
}

struct Kind {
    kind: MetaKind,
    doc: Doc,
    /// Report heading word, row word and info-flag prefix.
    plural: &'static str,
    row: &'static str,
}

const ANNOTATIONS: Kind = Kind {
    kind: MetaKind::Annotation,
    doc: docs::ANNOTATIONS,
    plural: "annotations",
    row: "Annotation",
};
const LABELS: Kind = Kind {
    kind: MetaKind::Label,
    doc: docs::LABELS,
    plural: "labels",
    row: "Label",
};

impl K3sMeta {
    pub fn run(self, ctx: &Ctx) -> Result<(), CliError> {
        match self {
            K3sMeta::AnnotationsSet(a) => set(ctx, &ANNOTATIONS, a),
            K3sMeta::LabelsSet(a) => set(ctx, &LABELS, a),
            K3sMeta::AnnotationsReport(a) => report(&ctx.store, &ANNOTATIONS, a),
            K3sMeta::LabelsReport(a) => report(&ctx.store, &LABELS, a),
        }
    }
}

fn set(ctx: &Ctx, kind: &Kind, args: MetaSet) -> Result<(), CliError> {
    let store = &ctx.store;
    let scope = existing_scope(store, &args.target)?;
    let resource = ResourceType::parse_for(&args.resource_type, kind.kind)?;
    let process = match &args.process_type {
        Some(p) => Some(p.parse::<ProcessType>()?),
        None => None,
    };
    validate_meta_key(&args.key, kind.kind)?;
    let value = args.value.filter(|v| !v.is_empty());
    if let Some(v) = &value {
        match kind.kind {
            MetaKind::Annotation => validate_annotation_value(v)?,
            MetaKind::Label => validate_label_value(v)?,
        }
    }
    crate::ops::settings::set_user_meta(
        ctx,
        &scope,
        kind.doc,
        process.as_ref().map(|p| p.as_str()),
        resource,
        &args.key,
        value.as_deref(),
    )?;
    let target = format!(
        "{}/{}",
        process.as_ref().map(|p| p.as_str()).unwrap_or("global"),
        resource
    );
    match &value {
        Some(v) => info2(format!(
            "Setting {} {} ({target}) to {v}",
            kind.row.to_lowercase(),
            args.key
        )),
        None => info2(format!(
            "Unsetting {} {} ({target})",
            kind.row.to_lowercase(),
            args.key
        )),
    }
    Ok(())
}

fn report(store: &Store, kind: &Kind, args: MetaReport) -> Result<(), CliError> {
    if let Some(r) = &args.resource_type {
        ResourceType::parse_for(r, kind.kind)?;
    }
    let scopes = report_scopes(store, args.target.as_deref())?;
    if scopes.is_empty() {
        warn("You haven't deployed any applications yet");
        return Ok(());
    }
    let flag_prefix = format!("--scheduler-k3s-{}.", kind.plural);
    if args.info_flag.is_some() && args.format == Format::Json {
        return Err(CliError::msg(
            "--format flag cannot be specified when specifying an info flag",
        ));
    }
    for scope in scopes {
        let meta: UserMeta = store.read_json(&scope, kind.doc)?;
        let entries: Vec<_> = meta
            .entries()
            .into_iter()
            .filter(|e| {
                args.process_type
                    .as_deref()
                    .is_none_or(|p| p == e.shown_process() || p == e.process)
            })
            .filter(|e| {
                args.resource_type
                    .as_deref()
                    .is_none_or(|r| r == e.resource)
            })
            .collect();
        if let Some(flag) = &args.info_flag {
            let found = entries.iter().find(|e| {
                *flag
                    == format!(
                        "{flag_prefix}{}.{}.{}",
                        e.shown_process(),
                        e.resource,
                        e.key
                    )
            });
            match found {
                Some(e) => println!("{}", e.value),
                None => {
                    let valid: Vec<String> = entries
                        .iter()
                        .map(|e| {
                            format!(
                                "{flag_prefix}{}.{}.{}",
                                e.shown_process(),
                                e.resource,
                                e.key
                            )
                        })
                        .collect();
                    return Err(invalid_flag(valid));
                }
            }
            continue;
        }
        match args.format {
            Format::Json => {
                let flat: serde_json::Map<String, serde_json::Value> = entries
                    .iter()
                    .map(|e| {
                        (
                            format!("{}.{}.{}", e.shown_process(), e.resource, e.key),
                            serde_json::Value::String(e.value.clone()),
                        )
                    })
                    .collect();
                print_json(&flat)?;
            }
            Format::Stdout => {
                let subject = match &scope {
                    Scope::App(a) => a.to_string(),
                    Scope::Global => "--global".to_owned(),
                };
                info2(format!("{subject} {} information", kind.plural));
                let mut groups: Vec<(String, Vec<(String, String)>)> = Vec::new();
                for e in &entries {
                    let group = format!("{}/{}", e.shown_process(), e.resource);
                    let line = (format!("{} ({group}) {}", kind.row, e.key), e.value.clone());
                    match groups.iter_mut().find(|(g, _)| *g == group) {
                        Some((_, lines)) => lines.push(line),
                        None => groups.push((group, vec![line])),
                    }
                }
                groups.sort_by(|a, b| a.0.cmp(&b.0));
                for (_, lines) in groups {
                    print_padded(&lines, 31);
                }
            }
        }
    }
    Ok(())
}
