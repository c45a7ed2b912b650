#!/usr/bin/env bash
# Generate a self-signed TLS certificate for local gunicorn (SAN: localhost, 127.0.0.1, ::1).
#   scripts/gen_selfsigned_cert.sh [out_dir=certs] [days=30]
# Writes <out_dir>/server.crt and <out_dir>/server.key (mode 600). For local use and tests only:
# production uses a certificate from a real CA, usually on the load balancer.
set -euo pipefail
out=${1:-certs}
days=${2:-30}
mkdir -p "$out"
umask 077
openssl req -x509 -newkey rsa:2048 -sha256 -nodes -days "$days" \
  -keyout "$out/server.key" -out "$out/server.crt" \
  -subj "/CN=localhost" \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
  -addext "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign" \
  -addext "extendedKeyUsage=serverAuth" 2>/dev/null
chmod 644 "$out/server.crt"
echo "$out/server.crt"
echo "$out/server.key"
