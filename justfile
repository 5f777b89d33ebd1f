# The clinic's everyday commands. `just --list` shows them.

# Serve the API (embedded PostgreSQL unless DATABASE_URL is set)
run:
    cargo run --release

# Every test: domain, PostgreSQL adapter, Twilio adapter, HTTP API
test:
    cargo test --workspace

# Formatting and clippy, as CI runs them
lint:
    cargo fmt --all -- --check
    cargo clippy --all-targets -- -D warnings

# Format the code
fmt:
    cargo fmt --all

# Start the embedded PostgreSQL alone, until Ctrl-C
db:
    cargo run --release -- db

# The booking against PostgreSQL's own ceiling, on a durable cluster (docs/benchmarks.md);
# `just bench --quick` checks correctness only (CI), `just bench --scale` adds a long history
bench *args:
    cargo bench -p clinic-server --bench api -- {{args}}

# Fuzz a live service against its OpenAPI document with schemathesis, as CI does
contract:
    .ci/contract
