# One image per service, built from this one file: docker build --build-arg SERVICE=tasks .
# The workspace is installed with uv from the lock; the entrypoint is the service's own CLI.
FROM python:3.11-slim AS build
ARG SERVICE
ENV UV_PYTHON_DOWNLOADS=never UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
RUN pip install --no-cache-dir uv
WORKDIR /app
COPY pyproject.toml uv.lock .python-version ./
COPY libs ./libs
COPY services ./services
RUN uv sync --frozen --no-dev --package taskflow-${SERVICE}

FROM python:3.11-slim
ARG SERVICE
ENV PATH=/app/.venv/bin:$PATH SERVICE=${SERVICE}
RUN useradd --system --uid 10001 taskflow
WORKDIR /app
COPY --from=build /app /app
USER 10001
EXPOSE 8000
ENTRYPOINT ["sh", "-c", "exec taskflow-${SERVICE} \"$@\"", "--"]
CMD ["api"]
