# The container (ECS/Fargate) image: the same app as Lambda and the local server, under uvicorn.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

WORKDIR /app
COPY pyproject.toml README.md ./
COPY src ./src
RUN pip install . && useradd --system --uid 10001 --no-create-home portside

USER portside
EXPOSE 8000

HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
  CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]

# uvicorn handles SIGTERM gracefully: it stops accepting, lets in-flight requests finish (at
# most 20 s, inside ECS's default 30 s stop timeout), then runs the app's lifespan shutdown.
CMD ["uvicorn", "entrypoints.container.asgi:app", "--host", "0.0.0.0", "--port", "8000", "--timeout-graceful-shutdown", "20", "--no-access-log", "--ws-max-size", "16384", "--proxy-headers", "--forwarded-allow-ips", "*"]
