# Builds both connectors into one small image; docker-compose.yml picks the command per service.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath \
      -ldflags "-s -w -X github.com/tandemcdc/tandem/internal/buildinfo.Version=${VERSION}" \
      -o /out/ ./source-connector ./sink-connector

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/source-connector /out/sink-connector /usr/local/bin/
USER nonroot
ENTRYPOINT []
