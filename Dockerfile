# Smartbot in a minimal image: one static binary, non-root, data in /data.
#
#   docker build -t smartbot .
#   docker run -p 8080:8080 -v smartbot-data:/data smartbot

FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -tags timetzdata \
      -ldflags "-s -w -X main.Version=${VERSION}" \
      -o /out/smartbot ./cmd/smartbot \
 && mkdir -p /out/data

FROM scratch
# CA certificates for HTTPS webhooks and WhatsApp; time zones are embedded
# in the binary (timetzdata).
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/ca-certificates.crt
COPY --from=build /out/smartbot /smartbot
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
ENV SMARTBOT_DATA_DIR=/data \
    SMARTBOT_ADDR=0.0.0.0:8080
VOLUME /data
EXPOSE 8080
# docker stop sends SIGTERM, then SIGKILL after 10s (--stop-timeout);
# serve's --shutdown-timeout (8s) fits inside it.
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["/smartbot", "healthcheck"]
ENTRYPOINT ["/smartbot"]
CMD ["serve"]
