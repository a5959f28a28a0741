//! The words of Dokku's plugin help: each family's one-line description and each command's usage
//! line, as `dokku <family>:help` prints them. Commands berth adds are written the same way.

/// `(family, description)`, Dokku's `plugin_description` where Dokku has the family.
pub const FAMILIES: &[(&str, &str)] = &[
    ("app-json", "Manage app-json settings for an app"),
    ("apps", "Manage apps"),
    ("builder", "Manage builder settings for an app"),
    ("certs", "Manage SSL (TLS) certs"),
    ("completion", "Print a shell completion script"),
    ("config", "Manage global and app-specific config vars"),
    ("cron", "Manage scheduled cron tasks"),
    ("deploy", "Deploy an image or a release to the cluster"),
    ("docker-options", "Manage docker options for an app"),
    ("domains", "Manage domains used by the proxy"),
    ("enter", "Enter running app containers"),
    ("logs", "Manage log integration for an app"),
    ("man", "Print berth's manual pages"),
    ("ports", "Manage ports for an app"),
    ("procfile", "Manage the Procfile of an app"),
    ("ps", "Manage app processes"),
    ("registry", "Manage registry settings for an app"),
    ("report", "Display all reports for an app"),
    ("resource", "Manage resource settings for an app"),
    ("run", "Run a one-off process inside a container"),
    ("scheduler", "Manage scheduler settings for an app"),
    ("scheduler-k3s", "Manage scheduler-k3s settings for an app"),
    ("url", "Show the first URL of an app"),
    ("urls", "Show every URL of an app"),
];

/// `(command, usage after the command name, description)`: Dokku's help line for the command.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (
        "app-json:report",
        "[<app>] [<flag>]",
        "Displays a app-json report for one or more apps",
    ),
    (
        "app-json:set",
        "<app> <property> (<value>)",
        "Set or clear a app-json property for an app",
    ),
    ("apps:clone", "<old-app> <new-app>", "Clones an app"),
    ("apps:create", "<app>", "Create a new app"),
    ("apps:destroy", "<app>", "Permanently destroy an app"),
    ("apps:exists", "<app>", "Checks if an app exists"),
    ("apps:list", "[--format stdout|json]", "List your apps"),
    ("apps:lock", "<app>", "Locks an app for deployment"),
    (
        "apps:locked",
        "<app>",
        "Checks if an app is locked for deployment",
    ),
    ("apps:rename", "<old-app> <new-app>", "Rename an app"),
    (
        "apps:report",
        "[<app>] [<flag>]",
        "Display report about an app",
    ),
    (
        "apps:set",
        "<app>|--global <key> <value>",
        "Set or clear an apps property",
    ),
    ("apps:unlock", "<app>", "Unlocks an app for deployment"),
    (
        "builder:report",
        "[<app>] [<flag>]",
        "Displays a builder report for one or more apps",
    ),
    (
        "builder:set",
        "<app> <property> (<value>)",
        "Set or clear a builder property for an app",
    ),
    (
        "certs:add",
        "<app> CRT KEY",
        "Add an ssl endpoint to an app. Can also import from a tarball on stdin",
    ),
    (
        "certs:remove",
        "<app>",
        "Remove an SSL Endpoint from an app",
    ),
    (
        "certs:report",
        "[<app>] [<flag>]",
        "Displays an ssl report for one or more apps",
    ),
    (
        "certs:show",
        "<app> <crt|key>",
        "Show the server.crt or server.key on stdout",
    ),
    (
        "certs:update",
        "<app> CRT KEY",
        "Update an SSL Endpoint on an app. Can also import from a tarball on stdin",
    ),
    (
        "config",
        "(<app>|--global)",
        "Pretty-print an app or global environment",
    ),
    (
        "completion",
        "bash|zsh|fish|elvish|powershell",
        "Print a shell completion script",
    ),
    (
        "config:clear",
        "[--no-restart] (<app>|--global)",
        "Clears environment variables",
    ),
    (
        "config:export",
        "[--format=FORMAT] [--merged] (<app>|--global)",
        "Export a global or app environment",
    ),
    (
        "config:get",
        "[--quoted] (<app>|--global) KEY",
        "Display a global or app-specific config value",
    ),
    (
        "config:import",
        "[--no-restart] [--replace] [--format=FORMAT] (<app>|--global) [FILE|-]",
        "Import environment from file",
    ),
    (
        "config:keys",
        "[--merged] (<app>|--global)",
        "Show keys set in environment",
    ),
    (
        "config:set",
        "[--encoded] [--no-restart] (<app>|--global) KEY1=VALUE1 [KEY2=VALUE2 ...]",
        "Set one or more config vars",
    ),
    (
        "config:show",
        "[--merged] (<app>|--global)",
        "Show keys set in environment",
    ),
    (
        "config:unset",
        "[--no-restart] (<app>|--global) KEY1 [KEY2 ...]",
        "Unset one or more config vars",
    ),
    (
        "cron:list",
        "<app> [--format json|stdout]",
        "List scheduled cron tasks for an app",
    ),
    (
        "cron:run",
        "<app> <cron_id> [--detach]",
        "Run a cron task on the fly",
    ),
    (
        "deploy",
        "<app> --image IMAGE [--builder BUILDER]",
        "Deploy an app's image to the cluster",
    ),
    (
        "docker-options:add",
        "[--process PROC...] <app> <phase(s)> OPTION",
        "Add Docker option to app for phase (comma separated phase list)",
    ),
    (
        "docker-options:clear",
        "[--process PROC...] <app> [<phase(s)>...]",
        "Clear a docker options from application with an optional phase (comma separated phase list)",
    ),
    (
        "docker-options:list",
        "<app> [--process PROC] --phase PHASE",
        "List docker options for one process+phase pair",
    ),
    (
        "docker-options:remove",
        "[--process PROC...] <app> <phase(s)> OPTION",
        "Remove Docker option from app for phase (comma separated phase list)",
    ),
    (
        "docker-options:report",
        "[<app>] [<flag>]",
        "Displays a docker options report for one or more apps",
    ),
    (
        "domains:add",
        "<app> <domain> [<domain> ...]",
        "Add domains to app",
    ),
    (
        "domains:add-global",
        "<domain> [<domain> ...]",
        "Add global domain names",
    ),
    ("domains:clear", "<app>", "Clear all domains for app"),
    ("domains:clear-global", "", "Clear global domain names"),
    ("domains:disable", "<app>", "Disable VHOST support"),
    ("domains:enable", "<app>", "Enable VHOST support"),
    (
        "domains:remove",
        "<app> <domain> [<domain> ...]",
        "Remove domains from app",
    ),
    (
        "domains:remove-global",
        "<domain> [<domain> ...]",
        "Remove global domain names",
    ),
    (
        "domains:report",
        "[<app>|--global] [<flag>]",
        "Displays a domains report for one or more apps",
    ),
    (
        "domains:reset",
        "<app>",
        "Reset app domains to global-configured domains",
    ),
    (
        "domains:set",
        "<app> <domain> [<domain> ...]",
        "Set domains for app",
    ),
    (
        "domains:set-global",
        "<domain> [<domain> ...]",
        "Set global domain names",
    ),
    (
        "domains:setup",
        "<app>",
        "Set up the default domains of an app that has none",
    ),
    (
        "enter",
        "<app> [<container-type> || --container-id <container-id>]",
        "Connect to a specific app container",
    ),
    (
        "logs",
        "[-h|--help] [-t|--tail] [-n|--num num] [-q|--quiet] [-p|--ps process] <app>",
        "Display recent log output",
    ),
    (
        "logs:report",
        "[<app>] [<flag>]",
        "Displays a logs report for one or more apps",
    ),
    (
        "logs:set",
        "[--global|<app>] <key> <value>",
        "Set or clear a logs property for an app",
    ),
    (
        "man",
        "[<command>] [--dir DIR]",
        "Print berth's manual page, or one command's",
    ),
    (
        "ports:add",
        "<app> [<scheme>:<host-port>:<container-port>...]",
        "Add port mappings to an app",
    ),
    ("ports:clear", "<app>", "Clear all port mappings for an app"),
    ("ports:list", "<app>", "List port mappings for app"),
    (
        "ports:remove",
        "<app> [<host-port>|<scheme>:<host-port>:<container-port>...]",
        "Remove specific port mappings from an app",
    ),
    (
        "ports:report",
        "[<app>] [<flag>]",
        "Displays a ports report for one or more apps",
    ),
    (
        "ports:set",
        "<app> [<scheme>:<host-port>:<container-port>...]",
        "Set port mappings for an app",
    ),
    (
        "procfile:report",
        "[<app>] [<flag>]",
        "Displays a procfile report for one or more apps",
    ),
    (
        "procfile:set",
        "<app> --file PATH",
        "Store the Procfile of an app (an empty file unsets it)",
    ),
    (
        "ps:inspect",
        "<app>",
        "Displays a sanitized version of the app's pods",
    ),
    ("ps:rebuild", "[--all|<app>]", "Rebuilds an app from source"),
    (
        "ps:report",
        "[<app>] [<flag>]",
        "Displays a process report for one or more apps",
    ),
    (
        "ps:restart",
        "[--all|<app>] [<process-name>]",
        "Restart an app",
    ),
    (
        "ps:scale",
        "[--skip-deploy] [--format stdout|json] <app> [<proc>=<count>...]",
        "Get/Set how many instances of a given process to run",
    ),
    (
        "ps:set",
        "<app> <key> <value>",
        "Set or clear a ps property for an app",
    ),
    ("ps:start", "[--all|<app>]", "Start an app"),
    ("ps:stop", "[--all|<app>]", "Stop an app"),
    (
        "registry:login",
        "[--global|--password-stdin] [<app>] <server> <username> [<password>]",
        "Login to a docker registry",
    ),
    (
        "registry:logout",
        "[--global] [<app>] <server>",
        "Logout from a docker registry",
    ),
    (
        "registry:report",
        "[<app>] [<flag>]",
        "Displays a registry report for one or more apps",
    ),
    (
        "registry:set",
        "<app>|--global <property> (<value>)",
        "Set or clear a registry property for an app",
    ),
    (
        "report",
        "[<app>] [<flag>]",
        "Displays every plugin's report for one or more apps",
    ),
    (
        "resource:limit",
        "[--process-type <process-type>] [RESOURCE_OPTS...] <app>",
        "Limit resources for a given app/process-type combination",
    ),
    (
        "resource:limit-clear",
        "[--process-type <process-type>] <app>",
        "Limit resources for a given app/process-type combination",
    ),
    (
        "resource:report",
        "[<app>] [<flag>]",
        "Displays a resource report for one or more apps",
    ),
    (
        "resource:reserve",
        "[--process-type <process-type>] [RESOURCE_OPTS...] <app>",
        "Reserve resources for a given app/process-type combination",
    ),
    (
        "resource:reserve-clear",
        "[--process-type <process-type>] <app>",
        "Reserve resources for a given app/process-type combination",
    ),
    (
        "run",
        "[-e|--env KEY=VALUE] [--no-tty] <app> <cmd>",
        "Run a command in a new container using the current app image",
    ),
    (
        "run:detached",
        "[-e|--env KEY=VALUE] <app> <cmd>",
        "Run a command in a new detached container using the current app image",
    ),
    (
        "run:list",
        "[--format json|stdout] <app>",
        "List all run containers for an app",
    ),
    (
        "run:logs",
        "<app> [<run-name>]",
        "Display recent log output for run containers",
    ),
    (
        "scheduler-k3s:annotations:report",
        "[<app>|--global] [--format stdout|json] [--process-type PROCESS_TYPE] [--resource-type RESOURCE_TYPE]",
        "Displays a scheduler-k3s annotations report for one or more apps",
    ),
    (
        "scheduler-k3s:annotations:set",
        "<app|--global> <property> (<value>) [--process-type PROCESS_TYPE] <--resource-type RESOURCE_TYPE>",
        "Set or clear an annotation for a given app/process-type/resource-type combination",
    ),
    (
        "scheduler-k3s:autoscaling-auth:report",
        "[<app>|--global] [--format stdout|json] [--include-metadata]",
        "Displays a scheduler-k3s autoscaling auth report for one or more apps",
    ),
    (
        "scheduler-k3s:autoscaling-auth:set",
        "<app|--global> <trigger> [<--metadata key=value>...]",
        "Set or clear a scheduler-k3s autoscaling keda trigger authentication resource for an app",
    ),
    (
        "scheduler-k3s:charts:report",
        "[<chart>] [--format stdout|json]",
        "Displays a scheduler-k3s chart override report",
    ),
    (
        "scheduler-k3s:charts:set",
        "<chart-name.property> (<value>)",
        "Set or clear a chart-specific helm value",
    ),
    (
        "scheduler-k3s:cluster:add",
        "[--profile PROFILE] [--role ROLE] [--insecure-allow-unknown-hosts] [--server-ip SERVER_IP] [--taint-scheduling] [--kubelet-args KUBELET_ARGS] <ssh://user@host:port>",
        "Adds a server node to a Dokku-managed cluster",
    ),
    (
        "scheduler-k3s:cluster:list",
        "[--format json|stdout]",
        "Lists all nodes in a Dokku-managed cluster",
    ),
    (
        "scheduler-k3s:cluster:remove",
        "[node-id]",
        "Removes client node to a Dokku-managed cluster",
    ),
    (
        "scheduler-k3s:doctor",
        "[--role ROLE] [--server-ip SERVER_IP] [--format stdout|json] [<ssh://user@host:port>...]",
        "Checks hosts before initialize or cluster:add (berth)",
    ),
    (
        "scheduler-k3s:ensure-charts",
        "[--force] [--charts NAME,...]",
        "Ensures the k3s charts are installed",
    ),
    (
        "scheduler-k3s:history",
        "<app> [--format stdout|json]",
        "Lists the deployed revisions of an app",
    ),
    (
        "scheduler-k3s:initialize",
        "[--server-ip SERVER_IP] [--taint-scheduling] [--kubelet-args KUBELET_ARGS]",
        "Initializes a cluster",
    ),
    (
        "scheduler-k3s:labels:report",
        "[<app>|--global] [--format stdout|json] [--process-type PROCESS_TYPE] [--resource-type RESOURCE_TYPE]",
        "Displays a scheduler-k3s labels report for one or more apps",
    ),
    (
        "scheduler-k3s:labels:set",
        "<app|--global> <property> (<value>) [--process-type PROCESS_TYPE] <--resource-type RESOURCE_TYPE>",
        "Set or clear a label for a given app/process-type/resource-type combination",
    ),
    (
        "scheduler-k3s:node-sysctls:report",
        "[--format stdout|json]",
        "Displays the node-level kernel sysctls applied to each scope",
    ),
    (
        "scheduler-k3s:node-sysctls:set",
        "<sysctl> (<value>) [--global|--profile PROFILE]",
        "Set or clear a node-level kernel sysctl for unprofiled nodes or a single node profile",
    ),
    (
        "scheduler-k3s:preview",
        "<app> [--context N] [--show-secrets] [--show-secrets-decoded]",
        "Displays a diff between the current and next deployment for an app",
    ),
    (
        "scheduler-k3s:profiles:add",
        "<profile> [--role ROLE] [--insecure-allow-unknown-hosts] [--taint-scheduling] [--kubelet-args KUBELET_ARGS]",
        "Adds a node profile to the k3s cluster",
    ),
    (
        "scheduler-k3s:profiles:list",
        "[--format json|stdout]",
        "Lists all node profiles in the k3s cluster",
    ),
    (
        "scheduler-k3s:profiles:remove",
        "<profile>",
        "Removes a node profile from the k3s cluster",
    ),
    (
        "scheduler-k3s:report",
        "[<app>|--global] [--format stdout|json] [<flag>]",
        "Displays a scheduler-k3s report for one or more apps",
    ),
    (
        "scheduler-k3s:rollback",
        "<app> [<revision>]",
        "Rolls an app back to an earlier revision",
    ),
    (
        "scheduler-k3s:set",
        "<app|--global> <property> (<value>)",
        "Set or clear a scheduler-k3s property for an app or globally",
    ),
    (
        "scheduler-k3s:show-kubeconfig",
        "",
        "Displays the kubeconfig for remote usage",
    ),
    (
        "scheduler-k3s:uninstall",
        "",
        "Uninstalls k3s from the Dokku server",
    ),
    (
        "scheduler:report",
        "[<app>] [<flag>]",
        "Displays a scheduler report for one or more apps",
    ),
    (
        "scheduler:set",
        "<app> <property> (<value>)",
        "Set or clear a scheduler property for an app",
    ),
    ("url", "<app>", "Show the first URL for an application"),
    (
        "urls",
        "[--format stdout|json] <app>",
        "Show all URLs for an application",
    ),
];

/// Dokku's help line for `command`: `(usage, description)`.
pub fn command_line(command: &str) -> Option<(&'static str, &'static str)> {
    COMMANDS
        .iter()
        .find(|(name, _, _)| *name == command)
        .map(|(_, usage, about)| (*usage, *about))
}

/// The family of a command: `ports:add` → `ports`, `scheduler-k3s:cluster:add` → `scheduler-k3s`.
pub fn family_of(command: &str) -> &str {
    command.split(':').next().unwrap_or(command)
}

/// Description of a family, when berth has it.
pub fn family_description(family: &str) -> Option<&'static str> {
    FAMILIES
        .iter()
        .find(|(name, _)| *name == family)
        .map(|(_, about)| *about)
}
