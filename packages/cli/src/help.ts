/**
 * The `switchyard` command's verbs and their `--help` texts (the main help, the shared
 * "Loading" section, one text per verb).
 */

/** The verbs, in the order the main help lists them. */
export const VERBS = ['validate', 'explain', 'import', 'serve', 'simulate'] as const;
export type Verb = (typeof VERBS)[number];

/** `switchyard --help`, and what a usage error without a verb prints. */
export const MAIN_HELP = `Usage: switchyard <command> [options]

Load, check and run switchyard gateway configs (YAML or JSON; Gateway API, Istio and OpenAPI
documents through an importer).

Commands:
  validate <files...>                      check configs, report every problem by file and path
  explain <files...> <METHOD> <URL>        show which route a request takes and what is sent upstream
  import <files...>                        print the switchyard config built from the files
  serve <files...>                         run a gateway in front of the configured upstreams
  simulate --config <f> --scenario <f>     run a what-if scenario through the config on a fake clock

Run 'switchyard <command> --help' for a command's options; 'switchyard --version' prints the version.

Exit codes: 0 ok, 1 a problem in the input, 2 a usage error.
`;

const LOADING_HELP = `Loading:
  Files are JSON (.json) or YAML streams of one or more documents; a directory stands for its
  .yaml, .yml and .json files in name order. Documents with 'kind' or 'openapi' are imported;
  others are switchyard config. Routes keep the order of the files on the command line, then of
  the documents, then of the list; imported routes come last. Upstreams and limits are merged
  by name (a name defined twice is a problem).
  --env        substitute \${NAME} (and \${NAME:-default}) in string values from the environment;
               off unless given; names are upper-case ($\${ is a literal \${)
  --backend name=url[,url...]
               endpoints of a service that imported manifests name (reviews.default=http://127.0.0.1:9080);
               repeatable
`;

/** `switchyard <verb> --help`. */
export const HELP: Record<Verb, string> = {
  validate: `Usage: switchyard validate <files...> [--json] [--strict] [--env]

Loads the files as one config and validates it with the gateway's own compiler. Every problem is
printed on stderr as 'file:line:column (document n): path: message'.

Options:
  --json       print a machine-readable report on stdout (for CI):
               { ok, files, documents, routes, upstreams, problems: [...], warnings: [...] }
  --strict     treat warnings as problems (exit 1)
  --env        substitute \${NAME} from the environment (see Loading)
  -h, --help   show this help

${LOADING_HELP}
Exit codes: 0 valid, 1 problems found, 2 usage error.
`,
  explain: `Usage: switchyard explain <files...> <METHOD> <URL> [-H 'name: value']... [--json]

Shows what the gateway would do with one request, without sending it: the route that matches
and the conditions that made it match (or why each route did not), the route the other
precedence mode (gateway / first-match) would pick, the stages that apply (fault, limits,
redirect, experiment, split, rewrite, mirror, forward policy), the backend the split picks and
the upstream request that would be sent (method, URL, headers after rewriting), or the answer
the gateway gives itself (redirect, 404, 429).

URL is absolute (http://shop.example.com/a?b=1) or a path (/a?b=1; the host is then the Host
header, or localhost). Splits, fractions and fault percentages use a fixed random seed, so the
same command explains the same way every time.

Options:
  -H, --header 'name: value'   a request header (repeatable)
  --client-address <ip>        the client's address (client-ip limits, clientCidrs); default 127.0.0.1
  --json                       print the explanation as JSON
  --env                        substitute \${NAME} from the environment (see Loading)
  -h, --help                   show this help

${LOADING_HELP}
Exit codes: 0 explained (also when no route matches), 1 invalid config, 2 usage error.
`,
  import: `Usage: switchyard import <files...> [--format yaml|json] [--env]

Builds the switchyard config from the files (Gateway API, Istio and OpenAPI documents through
the importer; switchyard documents as they are, merged) and prints it on stdout. Warnings (what
has no switchyard counterpart) and problems go to stderr with their file and path.

Options:
  --format yaml|json   output format (default yaml)
  --env                substitute \${NAME} from the environment (see Loading)
  -h, --help           show this help

${LOADING_HELP}
Exit codes: 0 imported, 1 problems found (the config, if one was built, is still printed), 2 usage error.
`,
  serve: `Usage: switchyard serve <files...> [--port 8080] [--host 127.0.0.1] [--admin-port 9901] [--watch] [--admin-token-env NAME]

Runs a gateway (undici transport) in front of the configured upstreams.

Options:
  --port <n>             traffic port (default 8080; 0 picks a free port)
  --host <addr>          traffic address (default 127.0.0.1)
  --admin-port <n>       admin port (default 9901; 0 picks a free port): GET /metrics
                         (Prometheus text), /healthz (liveness), /ready (503 while starting or
                         draining). Never served on the traffic port.
  --admin-host <addr>    admin address (default 127.0.0.1, whatever --host is)
                         The admin port also serves the live dashboard at /dashboard/ (/
                         redirects there): routes, success rates, latency, splits, rollouts,
                         ejections, rate limits. Read-only unless --admin-token-env is given.
  --admin-token-env <NAME>
                         enables the dashboard's rollout operations (promote, abort, retry) for
                         requests with "Authorization: Bearer <token>", the token being the
                         value of the environment variable NAME (never a flag: argv is public)
  --watch                reload when a file changes (polled every 200 ms); an invalid edit keeps
                         the running config and prints why
  --drain-timeout <t>    on SIGTERM / SIGINT, how long in-flight requests may take to finish
                         (default 30s; units ms, s, m; a bare number is seconds)
  --env                  substitute \${NAME} from the environment (see Loading)
  -h, --help             show this help

Signals: SIGHUP reloads the files. SIGTERM / SIGINT drain: stop accepting connections, mark
/ready 503, wait for in-flight requests (up to --drain-timeout), then exit 0. A second signal
while draining exits at once with code 1.

${LOADING_HELP}
Exit codes: 0 stopped after draining, 1 invalid config or cannot listen, 2 usage error.
`,
  simulate: `Usage: switchyard simulate --config <files...> --scenario <file> [--compare <files...>]
                          [--json <file>] [--html <file>] [--seed <n>]

Runs a what-if scenario (a simulated fleet, scheduled failures and traffic: see
docs/guides/what-if.md) through the real gateway code on a fake clock, and prints latency
percentiles and success rate per route, version and endpoint, 429s per rule, retries,
ejections and the rollout steps with their reasons. Deterministic: the same seed gives the same
report, byte for byte.

Options:
  --config <file>      the gateway config (repeatable: files are merged as 'serve' merges them;
                       switchyard config, Gateway API, Istio and OpenAPI documents)
  --scenario <file>    the scenario (YAML or JSON); samples files of 'empirical' latencies are
                       read relative to it
  --compare <file>     a second config (repeatable) run on the same seeded scenario: both
                       summaries, then the figures that differ
  --json <file>        write the JSON report (or the comparison) to <file>; '-' for stdout
                       (the text summary is then not printed)
  --html <file>        write the report as one self-contained HTML page
  --seed <n>           override the scenario's seed (an integer 0-4294967295)
  --env                substitute \${NAME} from the environment in the config files (see Loading)
  -h, --help           show this help

${LOADING_HELP}
Exit codes: 0 simulated, 1 a problem in a config or the scenario, 2 usage error.
`,
};
