//! Logs, traces and metrics.
//!
//! Logs are structured (JSON in production, readable locally). When an OTLP endpoint is configured,
//! traces and metrics are exported to it; otherwise nothing is exported and nothing breaks. W3C trace
//! context is read from incoming calls and written into outgoing ones, so one trace follows a referral
//! from bistand into insatser. Fields that could carry personal data are never recorded: spans name the
//! method and status, never request contents.

use std::sync::OnceLock;
use std::task::{Context, Poll};
use std::time::Instant;

use futures::future::BoxFuture;
use opentelemetry::KeyValue;
use opentelemetry::global;
use opentelemetry::metrics::{Counter, Histogram};
use opentelemetry::propagation::{Extractor, Injector};
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::metrics::SdkMeterProvider;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use tracing_opentelemetry::OpenTelemetrySpanExt;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

use crate::config::{LogFormat, TelemetrySettings};

/// Keeps the exporters alive; dropping it flushes and shuts them down.
pub struct TelemetryGuard {
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
}

impl TelemetryGuard {
    /// Exports every finished span now (before a planned exit, or in tests).
    pub fn flush(&self) {
        if let Some(provider) = &self.tracer_provider
            && let Err(error) = provider.force_flush()
        {
            eprintln!("trace exporter flush: {error}");
        }
    }
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.tracer_provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("trace exporter shutdown: {error}");
        }
        if let Some(provider) = self.meter_provider.take()
            && let Err(error) = provider.shutdown()
        {
            eprintln!("metric exporter shutdown: {error}");
        }
    }
}

fn resource(service_name: &str) -> opentelemetry_sdk::Resource {
    opentelemetry_sdk::Resource::builder().with_service_name(service_name.to_string()).build()
}

/// Installs the global subscriber, propagator and (when configured) OTLP exporters.
///
/// Must run inside the Tokio runtime: the exporters are built on it.
pub fn init(settings: &TelemetrySettings, service_name: &str) -> anyhow::Result<TelemetryGuard> {
    let (tracer_provider, meter_provider) = match &settings.otlp_endpoint {
        Some(endpoint) => {
            use opentelemetry_otlp::WithExportConfig;
            let spans = opentelemetry_otlp::SpanExporter::builder().with_tonic().with_endpoint(endpoint).build()?;
            let metrics = opentelemetry_otlp::MetricExporter::builder().with_tonic().with_endpoint(endpoint).build()?;
            (
                Some(tracer_provider(spans, service_name)),
                Some(
                    SdkMeterProvider::builder()
                        .with_periodic_exporter(metrics)
                        .with_resource(resource(service_name))
                        .build(),
                ),
            )
        }
        None => (None, None),
    };
    install(settings, tracer_provider.clone(), meter_provider.clone())?;
    Ok(TelemetryGuard { tracer_provider, meter_provider })
}

/// Installs telemetry that exports spans to `exporter` (tests use an in-memory exporter).
pub fn init_with_span_exporter(
    settings: &TelemetrySettings,
    service_name: &str,
    exporter: impl SpanExporter + 'static,
) -> anyhow::Result<TelemetryGuard> {
    let provider = tracer_provider(exporter, service_name);
    install(settings, Some(provider.clone()), None)?;
    Ok(TelemetryGuard { tracer_provider: Some(provider), meter_provider: None })
}

fn tracer_provider(exporter: impl SpanExporter + 'static, service_name: &str) -> SdkTracerProvider {
    SdkTracerProvider::builder().with_batch_exporter(exporter).with_resource(resource(service_name)).build()
}

fn install(
    settings: &TelemetrySettings,
    tracer_provider: Option<SdkTracerProvider>,
    meter_provider: Option<SdkMeterProvider>,
) -> anyhow::Result<()> {
    global::set_text_map_propagator(TraceContextPropagator::new());
    let filter = EnvFilter::try_from_default_env().or_else(|_| EnvFilter::try_new(&settings.log_filter))?;
    let fmt = match settings.log_format {
        LogFormat::Json => tracing_subscriber::fmt::layer().json().with_current_span(false).boxed(),
        LogFormat::Pretty => tracing_subscriber::fmt::layer().compact().boxed(),
    };
    let otel = tracer_provider.as_ref().map(|provider| {
        global::set_tracer_provider(provider.clone());
        tracing_opentelemetry::layer().with_tracer(provider.tracer("trappan"))
    });
    if let Some(provider) = meter_provider {
        global::set_meter_provider(provider);
    }
    tracing_subscriber::registry().with(filter).with(fmt).with(otel).try_init()?;
    Ok(())
}

struct RpcMetrics {
    duration: Histogram<f64>,
    failures: Counter<u64>,
}

fn metrics() -> &'static RpcMetrics {
    static METRICS: OnceLock<RpcMetrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let meter = global::meter("trappan");
        RpcMetrics {
            duration: meter
                .f64_histogram("rpc.server.duration")
                .with_unit("ms")
                .with_description("Time to answer an RPC (until response headers for streams)")
                .build(),
            failures: meter
                .u64_counter("rpc.server.failures")
                .with_description("RPCs answered with a non-OK status")
                .build(),
        }
    })
}

struct HeaderExtractor<'a>(&'a http::HeaderMap);

impl Extractor for HeaderExtractor<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|value| value.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(|key| key.as_str()).collect()
    }
}

struct MetadataInjector<'a>(&'a mut tonic::metadata::MetadataMap);

impl Injector for MetadataInjector<'_> {
    fn set(&mut self, key: &str, value: String) {
        if let (Ok(key), Ok(value)) = (
            tonic::metadata::MetadataKey::from_bytes(key.as_bytes()),
            tonic::metadata::MetadataValue::try_from(value.as_str()),
        ) {
            self.0.insert(key, value);
        }
    }
}

/// The current span's W3C trace context (`traceparent`), to store with work that continues later.
pub fn current_trace_context() -> String {
    let context = tracing::Span::current().context();
    let mut carrier = std::collections::HashMap::new();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&context, &mut carrier));
    carrier.remove("traceparent").unwrap_or_default()
}

/// Makes `span` continue the trace of a stored `traceparent` (empty or malformed: a new trace).
pub fn continue_trace(span: &tracing::Span, traceparent: &str) {
    let carrier = std::collections::HashMap::from([("traceparent".to_string(), traceparent.to_string())]);
    let parent = global::get_text_map_propagator(|propagator| propagator.extract(&carrier));
    let _ = span.set_parent(parent);
}

/// Writes the current span's trace context into outgoing metadata (W3C `traceparent`).
pub fn inject_trace_context(metadata: &mut tonic::metadata::MetadataMap) {
    let context = tracing::Span::current().context();
    global::get_text_map_propagator(|propagator| propagator.inject_context(&context, &mut MetadataInjector(metadata)));
}

/// The tower layer that opens a span per RPC (continuing the caller's trace) and records RPC metrics.
#[derive(Clone, Default)]
pub struct TelemetryLayer;

impl<S> tower::Layer<S> for TelemetryLayer {
    type Service = TelemetryService<S>;
    fn layer(&self, inner: S) -> TelemetryService<S> {
        TelemetryService { inner }
    }
}

/// The service [`TelemetryLayer`] wraps.
#[derive(Clone)]
pub struct TelemetryService<S> {
    inner: S,
}

impl<S, B, R> tower::Service<http::Request<B>> for TelemetryService<S>
where
    S: tower::Service<http::Request<B>, Response = http::Response<R>> + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = BoxFuture<'static, Result<Self::Response, Self::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: http::Request<B>) -> Self::Future {
        let method = request.uri().path().to_string();
        let parent = global::get_text_map_propagator(|p| p.extract(&HeaderExtractor(request.headers())));
        let span = tracing::info_span!(
            "rpc",
            otel.name = %method,
            otel.kind = "server",
            rpc.system = "grpc",
            rpc.method = %method,
            rpc.grpc.status_code = tracing::field::Empty,
        );
        // A malformed or absent traceparent starts a new trace; that is not an error.
        let _ = span.set_parent(parent);
        let started = Instant::now();
        let future = {
            let _entered = span.enter();
            self.inner.call(request)
        };
        Box::pin(async move {
            let result = tracing::Instrument::instrument(future, span.clone()).await;
            let code = match &result {
                Ok(response) => response
                    .headers()
                    .get("grpc-status")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<i32>().ok())
                    .unwrap_or(0),
                Err(_) => tonic::Code::Unknown as i32,
            };
            span.record("rpc.grpc.status_code", code);
            let attributes =
                [KeyValue::new("rpc.method", method), KeyValue::new("rpc.grpc.status_code", i64::from(code))];
            let metrics = metrics();
            metrics.duration.record(started.elapsed().as_secs_f64() * 1000.0, &attributes);
            if code != 0 {
                metrics.failures.add(1, &attributes);
            }
            result
        })
    }
}
