FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config ./config
COPY outages ./outages
COPY reports ./reports
COPY detection ./detection
RUN pip install --no-cache-dir .
COPY . .
RUN useradd --create-home app && mkdir -p var && chown -R app var
USER app
EXPOSE 8000
