# Generates memory-eval.json (the labelled set of bench/memory-quality.ts): python3 bench/data/memory-eval.py
import json
# Each cluster: (query, [memories]); a memory starting with "*" is relevant to the cluster's query.
# Format of a memory: "kind|tags|content"
C = [
("which database does the billing service use in production?", [
 "*decision|database,billing|The billing service runs on PostgreSQL 15 in production, hosted on RDS in eu-west-1",
 "fact|database,billing|Billing tests use an in-memory SQLite database so CI does not need Docker",
 "fact|billing|Invoices are generated nightly by the billing-cron job at 02:00 UTC",
 "preference|database|Ana prefers explicit SQL migrations over ORM auto-sync",
 "observation|database|Connection pool exhaustion happened twice last month on the analytics replica"]),
("how do I run the test suite for the web app?", [
 "*fact|testing,web|Run the web app tests with pnpm test --filter web; it uses vitest with jsdom",
 "fact|testing|End-to-end tests live in e2e/ and run with Playwright against a local preview build",
 "preference|testing|Keep unit tests next to the source file as Foo.test.ts",
 "observation|testing,web|The web test suite takes about 90 seconds on a laptop",
 "fact|web|The web app is a Next.js 14 project under apps/web"]),
("what is Marco's preferred code review style?", [
 "*preference|people,review|Marco wants small pull requests under 400 lines and reviews them within a day",
 "fact|people|Marco leads the platform team and owns the deployment pipeline",
 "preference|review|Reviews should point to the style guide instead of arguing taste",
 "fact|people|Priya is on call for the payments service this week",
 "observation|review|Large PRs in the mobile repo often wait more than three days for review"]),
("where are secrets stored for deployments?", [
 "*decision|secrets,deploy|Deployment secrets are stored in HashiCorp Vault under kv/prod and injected at startup",
 "fact|secrets|Never commit .env files; the pre-commit hook blocks files named .env*",
 "fact|deploy|Deployments go through ArgoCD syncing from the gitops repository",
 "observation|secrets|The staging Vault token expired on Monday and broke three deploys",
 "preference|deploy|Deploy on Tuesday to Thursday mornings, never on Friday afternoon"]),
("why did we pick Effect over fp-ts?", [
 "*decision|architecture,effect|We chose Effect over fp-ts because it bundles fibers, layers, schema and tracing in one ecosystem",
 "fact|effect|The project pins effect 3.22 and @effect/sql 0.52",
 "learned_heuristic|effect|Use Effect.fn for service methods to get spans for free",
 "observation|effect|New contributors struggle with Layer composition for the first week",
 "preference|effect|Errors crossing boundaries should be Schema.TaggedError"]),
("what timezone is the user in?", [
 "*identity|user|The user lives in Lisbon and works in the Europe/Lisbon timezone",
 "preference|user|The user likes answers short, with code first and explanation after",
 "fact|user|The user's main machine is a MacBook Pro with an M2 chip",
 "goal|user|The user wants to ship the v2 API before the end of the quarter",
 "observation|user|The user usually works late in the evening on Thursdays"]),
("how do we handle database migrations?", [
 "*decision|database,migrations|Migrations are numbered NNNN_snake_name entries in a Migrator.fromRecord map and never edited once applied",
 "fact|migrations|The migrator table is effect_sql_migrations",
 "learned_heuristic|migrations|Adding a NOT NULL column needs a default or a backfill step first",
 "observation|migrations|A migration that renamed a column locked the orders table for four minutes",
 "fact|database|Read replicas lag the primary by about 200 ms"]),
("what package manager does the monorepo use?", [
 "*fact|tooling,monorepo|The monorepo uses pnpm workspaces with a single lockfile at the root",
 "fact|tooling|Node 22 is the required runtime, pinned in .nvmrc",
 "preference|tooling|Use corepack to get the pinned pnpm version",
 "observation|monorepo|Installing from scratch takes six minutes on CI without the cache",
 "fact|monorepo|Shared TypeScript configs live in packages/tsconfig"]),
("who should I ask about the payments API?", [
 "*fact|people,payments|Priya owns the payments API and reviews every change to the charge endpoints",
 "fact|payments|The payments API talks to Stripe through a thin adapter in services/payments/stripe.ts",
 "observation|payments|Refund webhooks sometimes arrive before the charge succeeded event",
 "decision|payments|Idempotency keys are required on every POST to the payments API",
 "fact|people|Jonas maintains the design system and the Storybook"]),
("how is logging configured in the backend?", [
 "*fact|logging,backend|The backend logs JSON lines through pino with the request id in every line",
 "preference|logging|Log at info for business events and debug for payloads",
 "decision|logging|Logs are shipped to Loki via promtail; retention is 14 days",
 "observation|logging|Debug logging in the sync worker produced 40 GB in one night",
 "fact|backend|The backend is a Fastify server in apps/api"]),
("what is the branch naming convention?", [
 "*preference|git|Branches are named type/short-description, for example fix/login-redirect",
 "fact|git|main is protected and needs one approval plus green CI",
 "preference|git|Squash merge pull requests and write the final message in imperative mood",
 "observation|git|Force pushes to shared branches caused lost commits twice",
 "fact|git|Release tags follow vMAJOR.MINOR.PATCH"]),
("how are feature flags managed?", [
 "*decision|flags|Feature flags live in LaunchDarkly; flags older than 90 days get a cleanup ticket",
 "fact|flags|The web app reads flags through the useFlag hook",
 "observation|flags|A stale flag kept the old checkout reachable for months",
 "preference|flags|Default new flags to off in production",
 "fact|web|Server components cannot call the useFlag hook"]),
("what caused the outage last week?", [
 "*observation|incident|Last week's outage was caused by an expired TLS certificate on the internal load balancer",
 "decision|incident|Certificates are now renewed by cert-manager with alerts 14 days before expiry",
 "fact|incident|Postmortems are written in the incidents folder of the wiki within five days",
 "observation|incident|The pager did not fire because the alert routed to an old rotation",
 "fact|monitoring|Grafana dashboards are provisioned from the dashboards repository"]),
("which linter rules matter most to the team?", [
 "*preference|lint|The team cares most about no-floating-promises and consistent-type-imports",
 "fact|lint|ESLint runs with the flat config in eslint.config.js",
 "preference|format|Formatting is dprint, not prettier",
 "observation|lint|Turning on strict-boolean-expressions produced 600 errors and was reverted",
 "fact|lint|Lint runs in CI as a separate job before tests"]),
("how do I get access to the staging cluster?", [
 "*fact|access,staging|Request staging cluster access in the #infra-access channel; Marco approves kubeconfig requests",
 "fact|staging|Staging runs on a single GKE cluster in europe-west1",
 "observation|staging|Staging data is refreshed from an anonymised production snapshot every Sunday",
 "preference|staging|Test migrations on staging before production",
 "fact|access|Production access requires a hardware security key"]),
("what is the caching strategy for the product catalogue?", [
 "*decision|cache,catalogue|The product catalogue is cached in Redis for five minutes and invalidated on publish events",
 "fact|cache|Redis runs as a managed ElastiCache cluster with two replicas",
 "observation|cache|Cache stampedes happened when the TTL expired during the sale",
 "learned_heuristic|cache|Add jitter to TTLs to avoid synchronized expiry",
 "fact|catalogue|Catalogue data comes from the PIM system via nightly import"]),
("how should I write commit messages?", [
 "*preference|git,commits|Commit messages start with a verb in imperative mood and explain why, not only what",
 "fact|commits|Conventional commit prefixes are not required in this repository",
 "observation|commits|Release notes are generated from pull request titles, not commits",
 "preference|commits|Keep commits small and each one building",
 "fact|git|The default branch is main"]),
("what frontend state library do we use?", [
 "*decision|frontend,state|Frontend state uses Zustand for client state and TanStack Query for server state",
 "observation|frontend|Redux was removed from the web app in the spring rewrite",
 "preference|frontend|Avoid global stores for form state; keep it local",
 "fact|frontend|Forms use react-hook-form with zod resolvers",
 "fact|frontend|The design system components come from packages/ui"]),
("how many replicas does the api deployment run?", [
 "*fact|kubernetes,api|The api deployment runs four replicas with a HorizontalPodAutoscaler up to twelve",
 "fact|kubernetes|Resource requests are 500m CPU and 512Mi memory per api pod",
 "observation|kubernetes|Pods were OOMKilled when the PDF export ran with large reports",
 "decision|kubernetes|Liveness probes must not depend on the database",
 "fact|api|The api exposes /healthz and /readyz"]),
("what does the user want me to avoid when editing code?", [
 "*preference|user,editing|The user does not want unrelated reformatting in diffs; touch only the lines needed",
 "preference|user|The user wants tests run before claiming a change works",
 "preference|user|Ask before deleting files",
 "observation|user|The user got annoyed when a refactor renamed public exports",
 "fact|user|The user reviews diffs in VS Code"]),
("which error tracking tool is used?", [
 "*fact|errors,monitoring|Errors are reported to Sentry with release tags from CI",
 "decision|errors|Expected validation errors are not sent to Sentry",
 "observation|errors|Sentry quota ran out on the 20th because of a retry loop",
 "fact|monitoring|Uptime checks are done with Better Stack",
 "preference|errors|Include the request id in every user-facing error message"]),
("how is authentication implemented?", [
 "*decision|auth|Authentication uses OpenID Connect with Auth0; the api validates JWTs with the JWKS endpoint",
 "fact|auth|Access tokens expire after 15 minutes and refresh tokens after 30 days",
 "observation|auth|Clock skew on a worker made valid tokens fail for ten minutes",
 "preference|auth|Never log tokens, even truncated",
 "fact|auth|Service-to-service calls use mTLS inside the mesh"]),
("what is the goal for this sprint?", [
 "*goal|sprint|This sprint's goal is to finish the CSV import for enterprise customers",
 "fact|sprint|Sprints are two weeks and start on Wednesdays",
 "observation|sprint|The last two sprints ended with the import work carried over",
 "preference|sprint|Demo on the last Tuesday of the sprint",
 "goal|quarter|Reduce p95 latency of search below 300 ms this quarter"]),
("how do we generate API clients?", [
 "*decision|api,codegen|API clients are generated from the OpenAPI spec with openapi-typescript on every build",
 "fact|api|The OpenAPI document is served at /openapi.json",
 "observation|codegen|A hand-edited generated client caused a drift bug in the mobile app",
 "preference|codegen|Never edit generated files; change the spec instead",
 "fact|api|Swagger UI is available at /docs"]),
("what python version do the data scripts need?", [
 "*fact|python,data|The data scripts need Python 3.12 and are managed with uv",
 "fact|data|Notebooks live in data/notebooks and must be cleared before commit",
 "preference|python|Use ruff for both lint and format in Python code",
 "observation|data|pandas 2 broke the date parsing in the churn report",
 "fact|data|The warehouse is BigQuery with dataset analytics_prod"]),
("where do I find the design mockups?", [
 "*fact|design|Design mockups are in the Figma file Product 2025, page Checkout",
 "fact|people|Jonas maintains the design system and answers questions in #design",
 "preference|design|Use tokens from the design system instead of raw hex colours",
 "observation|design|The mobile mockups lag behind the web ones by about a sprint",
 "fact|design|Icons come from the Lucide set"]),
("how do we do database backups?", [
 "*fact|backup,database|Database backups are automated RDS snapshots every night, kept for 35 days, plus point-in-time recovery",
 "observation|backup|A restore drill in March took 47 minutes for the main database",
 "decision|backup|Backups are copied to a second region weekly",
 "preference|backup|Run a restore drill every quarter",
 "fact|database|The main database is about 800 GB"]),
("which queue system processes background jobs?", [
 "*decision|queue,jobs|Background jobs run on BullMQ backed by Redis, one queue per job type",
 "fact|jobs|The email job retries five times with exponential backoff",
 "observation|jobs|The thumbnail queue backed up to 200k jobs after a bulk upload",
 "learned_heuristic|jobs|Make job handlers idempotent because retries happen",
 "fact|queue|The Bull Board dashboard is at /admin/queues"]),
("what are the user's editor settings?", [
 "*preference|user,editor|The user uses Neovim with LazyVim and prefers two-space indentation",
 "preference|user|The user prefers dark themes in screenshots",
 "fact|user|The user's shell is zsh with starship",
 "observation|user|The user often pastes stack traces without the first lines",
 "preference|editor|Trim trailing whitespace on save"]),
("how do we version the public API?", [
 "*decision|api,versioning|The public API is versioned in the URL path (/v1, /v2) and a version lives at least 12 months after deprecation",
 "fact|api|Deprecations are announced in the changelog and by email",
 "observation|versioning|Some partners still call /v1 endpoints removed from docs",
 "preference|api|Prefer additive changes over new versions",
 "fact|api|Rate limits are 100 requests per second per key"]),
("what is our rate limit for the public API?", [
 "*fact|api,limits|The public API allows 100 requests per second per API key with bursts up to 200",
 "observation|limits|One customer hit the limit every night during their batch sync",
 "decision|limits|Rate limiting is done in the gateway with a token bucket in Redis",
 "fact|api|Exceeded limits answer 429 with a Retry-After header",
 "preference|limits|Document the limits next to each endpoint"]),
("how do I reproduce the flaky checkout test?", [
 "*observation|testing,flaky|The flaky checkout e2e test fails when the payment iframe loads slower than 5 seconds; run it with --repeat-each 20 to reproduce",
 "fact|testing|Flaky tests are tagged @flaky and quarantined in a nightly job",
 "learned_heuristic|testing|Wait for network idle instead of fixed sleeps in Playwright",
 "observation|flaky|The search e2e test was flaky because of animation timing",
 "fact|testing|Playwright traces are uploaded as CI artifacts"]),
("which cloud regions are we deployed in?", [
 "*fact|cloud,regions|Production runs in AWS eu-west-1 with disaster recovery in eu-central-1",
 "fact|cloud|The CDN is CloudFront in front of the web app",
 "decision|cloud|No customer data may leave the EU",
 "observation|cloud|eu-west-1 had an S3 incident that slowed uploads in June",
 "fact|staging|Staging runs on GKE in europe-west1"]),
("what is the preferred way to handle dates in TypeScript?", [
 "*preference|typescript,dates|Use date-fns for date arithmetic and store timestamps as UTC ISO strings",
 "observation|dates|moment.js was removed to cut 70 kB from the bundle",
 "learned_heuristic|dates|Format dates in the user's timezone only at the edge",
 "fact|typescript|The TypeScript target is ES2022",
 "preference|typescript|Enable exactOptionalPropertyTypes in new packages"]),
("how does the search service index documents?", [
 "*fact|search,indexing|The search service indexes documents into OpenSearch through a change-data-capture stream from PostgreSQL",
 "observation|search|Reindexing all documents takes about three hours",
 "decision|search|Use an alias so reindexing swaps indices without downtime",
 "fact|search|Typo tolerance is set to one edit for words of five or more letters",
 "goal|quarter|Reduce p95 latency of search below 300 ms this quarter"]),
("who is on call this week?", [
 "*fact|oncall,people|Priya is on call for the payments service this week and Marco for the platform",
 "fact|oncall|The on-call rotation is managed in PagerDuty and changes on Mondays at 10:00",
 "preference|oncall|Page only for customer-facing impact; everything else goes to the ticket queue",
 "observation|oncall|Night pages dropped by half after the alert cleanup",
 "fact|people|Ana is the engineering manager for the core team"]),
("what is the code coverage requirement?", [
 "*decision|testing,coverage|New code needs 80 percent line coverage; the CI check fails below that on changed files",
 "observation|coverage|Coverage dropped after the generated clients were included; they are now excluded",
 "preference|testing|Prefer meaningful assertions over chasing coverage",
 "fact|coverage|Coverage reports are uploaded to Codecov",
 "fact|testing|Unit tests run with vitest"]),
("how do I set up the local development environment?", [
 "*fact|setup,dev|Local setup: install Node 22 and pnpm, run pnpm install, then docker compose up for Postgres and Redis, then pnpm dev",
 "observation|setup|On Apple Silicon the Postgres image needs platform linux/arm64",
 "fact|dev|Seed data is loaded with pnpm db:seed",
 "preference|dev|Use the .env.example file as the template for .env.local",
 "fact|tooling|Node 22 is the required runtime, pinned in .nvmrc"]),
("what did we decide about GraphQL?", [
 "*decision|api,graphql|We decided not to adopt GraphQL; REST with OpenAPI is the standard for new services",
 "observation|graphql|The GraphQL prototype had N+1 query problems in the orders resolver",
 "fact|graphql|The old admin dashboard still uses a small Apollo server",
 "preference|api|Prefer additive changes over new versions",
 "fact|api|The OpenAPI document is served at /openapi.json"]),
("which Kubernetes ingress controller is used?", [
 "*fact|kubernetes,ingress|The clusters use ingress-nginx with cert-manager issuing Let's Encrypt certificates",
 "observation|ingress|Large uploads failed until proxy-body-size was raised to 50m",
 "decision|kubernetes|Liveness probes must not depend on the database",
 "fact|kubernetes|Namespaces are per team",
 "preference|kubernetes|Use Helm charts from the platform chart repository"]),
("how do we handle personal data deletion requests?", [
 "*decision|privacy,gdpr|GDPR deletion requests are processed by the erase-user job within 30 days and logged in the privacy register",
 "fact|privacy|Personal data is tagged in the schema with a pii comment",
 "observation|privacy|Backups still held deleted users for 35 days, which legal accepted",
 "preference|privacy|Never copy production personal data to laptops",
 "fact|privacy|The DPO is reachable at privacy@ in the company directory"]),
("what is the user's role at the company?", [
 "*identity|user,role|The user is a senior backend engineer on the platform team",
 "goal|user|The user wants to become tech lead of the platform team next year",
 "fact|people|Marco leads the platform team and owns the deployment pipeline",
 "preference|user|The user likes answers short, with code first and explanation after",
 "observation|user|The user often asks about infrastructure costs"]),
("how are environment variables validated at startup?", [
 "*decision|config,env|Environment variables are validated at startup with a schema; the process exits with a list of missing keys",
 "learned_heuristic|config|Fail fast on bad configuration instead of defaulting silently",
 "fact|config|Config keys are grouped by subsystem with a common prefix",
 "observation|config|A missing SMTP_HOST went unnoticed for a week before validation existed",
 "preference|config|Secrets use redacted config values so they never print"]),
("what monitoring dashboards exist for the api?", [
 "*fact|monitoring,api|Grafana has an API overview dashboard with request rate, error rate and p95 latency per route",
 "fact|monitoring|Metrics are scraped by Prometheus every 15 seconds",
 "observation|monitoring|The dashboard for the worker showed no data after a label rename",
 "preference|monitoring|Every new service gets a RED dashboard",
 "fact|monitoring|Grafana dashboards are provisioned from the dashboards repository"]),
("how do we manage dependencies updates?", [
 "*decision|deps,renovate|Renovate opens grouped dependency update PRs every Monday; patch updates automerge after CI",
 "observation|deps|A minor update of a date library changed week numbering and broke reports",
 "preference|deps|Pin exact versions for runtime dependencies",
 "fact|deps|The lockfile is pnpm-lock.yaml",
 "learned_heuristic|deps|Read the changelog before merging a major update"]),
("what is the mobile app built with?", [
 "*fact|mobile|The mobile app is built with React Native and Expo, sharing types with the web app",
 "observation|mobile|Over-the-air updates broke when the native module version changed",
 "fact|mobile|Mobile releases go to TestFlight first, then to the stores on Thursdays",
 "preference|mobile|Keep business logic in shared packages, not in screens",
 "observation|review|Large PRs in the mobile repo often wait more than three days for review"]),
("how do I profile a slow endpoint?", [
 "*learned_heuristic|performance,profiling|To profile a slow endpoint, enable the OpenTelemetry trace for the route and look at the span waterfall in Tempo first",
 "fact|performance|clinic flame can profile the api locally with pnpm profile:api",
 "observation|performance|The orders endpoint was slow because of a missing index on customer_id",
 "preference|performance|Measure before optimising and keep the numbers in the PR",
 "fact|monitoring|Traces are sampled at 10 percent in production"]),
("which email provider sends transactional emails?", [
 "*fact|email|Transactional emails are sent through Postmark with templates stored in the repo",
 "observation|email|Password reset emails were delayed by a Postmark incident in May",
 "fact|jobs|The email job retries five times with exponential backoff",
 "decision|email|Marketing emails use a different provider so transactional reputation stays clean",
 "preference|email|Preview templates locally with the mail-preview script"]),
("what is the rule about Friday deployments?", [
 "*preference|deploy,friday|Do not deploy on Friday afternoons; deploy on Tuesday to Thursday mornings",
 "decision|deploy|Hotfixes may go out any day with approval from the on-call engineer",
 "observation|deploy|A Friday deploy in January caused a weekend incident",
 "fact|deploy|Deployments go through ArgoCD syncing from the gitops repository",
 "fact|oncall|The on-call rotation is managed in PagerDuty and changes on Mondays at 10:00"]),
("how do we store uploaded files?", [
 "*decision|storage,uploads|Uploaded files go to S3 with presigned URLs; the api never proxies file bytes",
 "fact|uploads|Maximum upload size is 50 MB",
 "observation|uploads|Large uploads failed until proxy-body-size was raised to 50m",
 "fact|storage|Thumbnails are generated by a Lambda on object creation",
 "preference|storage|Use content hashes in object keys"]),
("what are the user's preferences for explanations?", [
 "*preference|user,style|The user likes answers short, with code first and explanation after",
 "preference|user|The user prefers British spelling in documentation",
 "observation|user|The user skips long preambles and jumps to the code",
 "identity|user|The user lives in Lisbon and works in the Europe/Lisbon timezone",
 "preference|user|The user wants tests run before claiming a change works"]),
("how is the event log implemented?", [
 "*fact|architecture,eventlog|The event log is an append-only table with a global position, per-stream versions and group commit",
 "decision|eventlog|Projections are rebuilt from position 1 when their version changes",
 "fact|eventlog|Live subscribers are woken by LISTEN/NOTIFY on PostgreSQL",
 "observation|eventlog|Group commit raised append throughput fivefold under concurrency",
 "learned_heuristic|eventlog|Use deterministic event ids for actor outputs so retries are idempotent"]),
("what should I do before merging a pull request?", [
 "*preference|review,merge|Before merging, make sure CI is green, the PR has one approval, and the description explains the why",
 "preference|git|Squash merge pull requests and write the final message in imperative mood",
 "fact|git|main is protected and needs one approval plus green CI",
 "observation|review|Reviews after 18:00 are often rushed",
 "preference|review|Reviews should point to the style guide instead of arguing taste"]),
("how do we run database queries in tests?", [
 "*learned_heuristic|testing,database|Tests that touch SQL use a fresh temp SQLite file per test or a fresh PostgreSQL database, never mocks",
 "fact|testing|PostgreSQL tests run when TAU_TEST_DATABASE_URL is set",
 "fact|database,billing|Billing tests use an in-memory SQLite database so CI does not need Docker",
 "observation|testing|Shared test databases caused order-dependent failures",
 "preference|testing|Keep each test file under a minute"]),
("which LLM provider does the agent call?", [
 "*fact|llm,agent|The agent calls an OpenAI-compatible endpoint configured by OPENAI_BASE_URL and TAU_MODEL",
 "decision|llm|Model calls are retried three times with jittered backoff and a circuit breaker",
 "observation|llm|The local model server returned truncated JSON for long tool calls",
 "preference|llm|Record every model response in the log so replay never calls the model",
 "fact|llm|Token prices are configured per model for cost tracking"]),
("how should tool errors be reported to the model?", [
 "*learned_heuristic|agent,tools|Report tool errors to the model as short text with the cause and a hint, not as stack traces",
 "fact|tools|Tool calls time out after 120 seconds",
 "observation|tools|The model looped when a tool error said only failed",
 "decision|tools|Shell commands run inside the workspace directory only",
 "preference|tools|Truncate tool output to 16 kB"]),
("what is the policy on shell commands?", [
 "*decision|safety,shell|Destructive shell commands such as rm -rf outside the workspace are blocked by the safety policy",
 "fact|safety|Secrets in tool output are redacted before they enter the log",
 "observation|shell|A git clean -fdx wiped untracked notes once",
 "decision|tools|Shell commands run inside the workspace directory only",
 "preference|safety|Ask for confirmation before network access from the shell"]),
("how are prompts versioned?", [
 "*fact|prompts,versioning|System prompts are versioned as events on prompt-<name> streams and adopted only after an A/B test wins",
 "decision|prompts|Prompt rollbacks are allowed at any time by an operator",
 "observation|prompts|A prompt tweak that removed examples lowered tool accuracy",
 "learned_heuristic|prompts|Keep examples short and close to the task",
 "fact|experiments|Experiments conclude with a significance test on rewards"]),
("what does the reward evaluator score?", [
 "*fact|rewards|The reward evaluator scores each session from its trace: task success, tool errors, safety and user feedback, into a composite in [-1, 1]",
 "observation|rewards|Sessions with many tool retries score lower even when they succeed",
 "decision|rewards|Reward evaluators are versioned so sessions can be rescored",
 "fact|rewards|Explicit user feedback weighs more than inferred signals",
 "learned_heuristic|rewards|Check reward distributions after changing the evaluator"]),
("where do we keep architecture decision records?", [
 "*fact|docs,adr|Architecture decision records live in docs/adr as numbered markdown files",
 "preference|docs|Write docs in plain English with short sentences",
 "decision|docs|Every new service needs a README with run, test and deploy sections",
 "observation|docs|Nobody updated the ADR about queues after switching to BullMQ",
 "fact|docs|The developer portal is built with Docusaurus"]),
]

memories, queries = [], []
n = 0
for ci, (query, items) in enumerate(C):
    relevant = []
    for item in items:
        n += 1
        mid = f"m{n:03d}"
        star = item.startswith("*")
        kind, tags, content = (item[1:] if star else item).split("|", 2)
        memories.append({"id": mid, "kind": kind, "tags": tags.split(","), "content": content})
        if star: relevant.append(mid)
    queries.append({"query": query, "relevant": relevant})

# Paraphrased second queries (fewer shared words) for some clusters
extra = [
 ("postgres version for invoices", "billing service runs on PostgreSQL"), ("vitest jsdom command", "pnpm test --filter web"),
 ("size limit for pull requests", "Marco wants small pull requests"), ("vault kv path", "HashiCorp Vault"),
 ("fibers layers schema tracing ecosystem", "chose Effect over fp-ts"), ("europe lisbon", "lives in Lisbon"),
 ("where do secrets get injected", "HashiCorp Vault"), ("redis ttl for products", "product catalogue is cached"),
 ("pdf export memory", "OOMKilled when the PDF export"), ("certificate expired load balancer", "expired TLS certificate"),
 ("jwt validation jwks", "OpenID Connect with Auth0"), ("csv import enterprise", "finish the CSV import"),
 ("openapi-typescript generation", "generated from the OpenAPI spec"), ("uv python", "Python 3.12"),
 ("figma checkout page", "Figma file"), ("bullmq", "run on BullMQ"), ("neovim indentation", "Neovim with LazyVim"),
 ("deprecation period for api versions", "versioned in the URL path"), ("token bucket 429", "100 requests per second per API key"),
 ("payment iframe slow", "payment iframe"), ("disaster recovery region", "disaster recovery in eu-central-1"),
 ("date-fns utc", "Use date-fns"), ("opensearch change data capture", "indexes documents into OpenSearch"),
 ("pagerduty rotation this week", "Priya is on call for the payments service this week and"),
 ("80 percent coverage", "80 percent line coverage"), ("docker compose postgres redis", "Local setup:"),
 ("rest instead of graphql", "not to adopt GraphQL"), ("ingress-nginx cert-manager", "use ingress-nginx"),
 ("gdpr erase user", "erase-user job"), ("senior backend engineer", "senior backend engineer on the platform"),
 ("renovate automerge", "Renovate opens grouped"), ("react native expo", "built with React Native"),
 ("tempo span waterfall", "span waterfall in Tempo"), ("postmark templates", "sent through Postmark"),
 ("presigned urls", "presigned URLs"), ("group commit append-only", "append-only table"),
 ("tool error hints for the model", "Report tool errors"), ("rm -rf blocked", "Destructive shell commands"),
 ("a/b test prompt adoption", "System prompts are versioned"), ("adr markdown", "live in docs/adr"),
]
for q, needle in extra:
    target = [m["id"] for m in memories if needle in m["content"]]
    assert len(target) >= 1, needle
    queries.append({"query": q, "relevant": target})

# Extra standalone memories (distractors) to reach >= 300
fill = [
 "fact|tooling|The Makefile wraps common pnpm scripts for people who forget the names",
 "observation|ci|CI runners are ubuntu-22.04 with 4 vCPUs",
 "preference|ci|Cache pnpm store between CI runs keyed by the lockfile hash",
 "fact|ci|GitHub Actions workflows live in .github/workflows",
 "observation|ci|The docker build step is the slowest part of CI at seven minutes",
 "decision|ci|Docker images are built with buildx and pushed to ECR",
 "fact|docker|Base images are node:22-alpine for services",
 "learned_heuristic|docker|Copy the lockfile before the sources to keep the install layer cached",
 "fact|people|Lena joined the data team in October and owns the churn model",
 "preference|people|Ana wants weekly written updates instead of status meetings",
 "observation|people|Jonas is out of office every other Friday",
 "fact|security|Dependabot security alerts are triaged within a week",
 "decision|security|All services must run as non-root users",
 "observation|security|A penetration test found an open redirect in the login flow",
 "fact|security|The WAF blocks requests from known bad IP lists",
 "fact|analytics|Product analytics use PostHog self-hosted",
 "preference|analytics|Name events as object_action, for example order_created",
 "observation|analytics|Ad blockers hide about 20 percent of web analytics events",
 "fact|i18n|Translations are managed in Crowdin and synced nightly",
 "preference|i18n|Never concatenate translated strings",
 "fact|accessibility|The web app targets WCAG 2.1 AA",
 "observation|accessibility|The date picker was not reachable by keyboard",
 "fact|billing|Prices are stored in minor units as integers",
 "decision|billing|Currency conversion happens only at invoice time",
 "fact|cli|The internal CLI is published as @acme/cli and installed globally",
 "preference|cli|CLI commands print JSON with --json for scripting",
 "fact|graphql|The old admin dashboard is scheduled for removal next quarter",
 "observation|performance|Bundle size of the web app grew by 12 percent in the last release",
 "preference|performance|Lazy load admin routes",
 "fact|storage|Object storage lifecycle moves files to Glacier after 180 days",
 "goal|team|The team wants to cut CI time below ten minutes",
 "goal|team|Move all services to the shared logging library by summer",
 "learned_heuristic|debugging|When a test fails only on CI, compare Node versions and timezone first",
 "learned_heuristic|debugging|Bisect with git bisect run and a script rather than by hand",
 "observation|debugging|Most flaky failures last month came from shared global state",
 "fact|search|Search synonyms are maintained in a YAML file in the search repo",
 "decision|search|Search results are personalised only for logged-in users",
 "fact|data|dbt models live in the analytics repository",
 "observation|data|The nightly dbt run failed after a column rename upstream",
 "preference|data|Document every dbt model with a description",
]
for item in fill:
    n += 1
    kind, tags, content = item.split("|", 2)
    memories.append({"id": f"m{n:03d}", "kind": kind, "tags": tags.split(","), "content": content})

# A query's relevant set includes every memory with the same text as a relevant one.
by_content = {}
for m in memories: by_content.setdefault(m["content"], []).append(m["id"])
text_of = {m["id"]: m["content"] for m in memories}
for q in queries:
    q["relevant"] = list(dict.fromkeys(i for r in q["relevant"] for i in by_content[text_of[r]]))

out = {"description": "Labelled retrieval set for Tau memory: realistic developer-agent memories and queries written for this project. relevant = ids a good search returns in its top results.",
       "memories": memories, "queries": queries}
json.dump(out, open(__file__.replace(".py", ".json"), "w"), indent=1)
print(len(memories), len(queries))
