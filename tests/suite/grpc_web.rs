//! gRPC-Web and CORS, wired once in platform's server for every service. A browser's preflight gets no CORS
//! headers while `server.cors_allowed_origins` is empty, so the browser refuses the call; with an origin listed,
//! that origin (and no other) is answered with the gRPC-Web headers. A gRPC-Web call over HTTP/1.1 reaches the
//! service through authentication and answers its status in the trailer frame, beside plain gRPC on the same
//! port. Transport only, so on SQLite alone: the store plays no part in what is tested.

use std::net::SocketAddr;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;
use prost::Message;
use trappan_api::bistand::v1 as bistand;
use trappan_platform::auth::Role;
use trappan_platform::config::ServiceKind;
use trappan_platform::testing::Backend;

use crate::common::{KOMMUN, TestSuite, applicant_household, number};

/// The origin of a case-worker front end the deployment allows.
const FRONT_END: &str = "https://handlaggning.markaryd.se";
/// A page the deployment does not list.
const OTHER_SITE: &str = "https://elsewhere.example";
const LIST_HOUSEHOLDS: &str = "/trappan.bistand.v1.BistandService/ListHouseholds";
/// What protobuf-ts's gRPC-Web transport asks to send beside the message.
const REQUESTED_HEADERS: &str = "authorization,content-type,grpc-timeout,x-grpc-web,x-user-agent";

async fn send(address: SocketAddr, request: http::Request<Full<Bytes>>) -> (http::response::Parts, Bytes) {
    let stream = tokio::net::TcpStream::connect(address).await.expect("connect");
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("HTTP/1.1");
    let driver = tokio::spawn(connection);
    let response = sender.send_request(request).await.expect("an answer");
    let (parts, body) = response.into_parts();
    let body = body.collect().await.expect("the body").to_bytes();
    driver.abort();
    (parts, body)
}

fn preflight(address: SocketAddr, path: &str, origin: &str) -> http::Request<Full<Bytes>> {
    http::Request::options(path)
        .header(http::header::HOST, address.to_string())
        .header(http::header::ORIGIN, origin)
        .header(http::header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
        .header(http::header::ACCESS_CONTROL_REQUEST_HEADERS, REQUESTED_HEADERS)
        .body(Full::default())
        .expect("a request")
}

/// A gRPC-Web call of ListHouseholds as a browser page at `origin` makes it, binary format.
fn grpc_web_list_households(address: SocketAddr, origin: &str, token: Option<&str>) -> http::Request<Full<Bytes>> {
    let message = bistand::ListHouseholdsRequest { page_size: 10, ..Default::default() }.encode_to_vec();
    let mut frame = BytesMut::new();
    frame.put_u8(0);
    frame.put_u32(u32::try_from(message.len()).expect("small"));
    frame.put_slice(&message);
    let mut request = http::Request::post(LIST_HOUSEHOLDS)
        .header(http::header::HOST, address.to_string())
        .header(http::header::ORIGIN, origin)
        .header(http::header::CONTENT_TYPE, "application/grpc-web+proto")
        .header("x-grpc-web", "1")
        .header("grpc-timeout", "10S");
    if let Some(token) = token {
        request = request.header(http::header::AUTHORIZATION, format!("Bearer {token}"));
    }
    request.body(Full::new(frame.freeze())).expect("a request")
}

/// The messages and the trailer text of a gRPC-Web response body: frames of a flag byte (0x80 marks the
/// trailers), a 4-byte length and the bytes.
fn frames(mut body: Bytes) -> (Vec<Bytes>, String) {
    let (mut messages, mut trailers) = (Vec::new(), String::new());
    while body.has_remaining() {
        let flag = body.get_u8();
        let length = body.get_u32() as usize;
        let bytes = body.split_to(length);
        if flag & 0x80 != 0 {
            trailers.push_str(std::str::from_utf8(&bytes).expect("trailers are text"));
        } else {
            messages.push(bytes);
        }
    }
    (messages, trailers)
}

fn header<'a>(parts: &'a http::response::Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).map(|value| value.to_str().expect("ascii"))
}

/// The grpc-status of a gRPC-Web answer: in the headers of a trailers-only answer, else in the trailer frame.
fn grpc_status(parts: &http::response::Parts, trailers: &str) -> String {
    header(parts, "grpc-status").map(str::to_string).unwrap_or_else(|| {
        let line = trailers.lines().find(|line| line.to_ascii_lowercase().starts_with("grpc-status:"));
        line.expect("a grpc-status trailer").split_once(':').expect("name:value").1.trim().to_string()
    })
}

#[tokio::test]
async fn without_configured_origins_no_service_answers_a_preflight() {
    let suite = TestSuite::spawn(Backend::Sqlite).await;
    assert!(suite.settings.server.cors_allowed_origins.is_empty(), "nothing is open by default");
    for kind in ServiceKind::ALL {
        let (parts, _) =
            send(suite.addresses[&kind], preflight(suite.addresses[&kind], LIST_HOUSEHOLDS, FRONT_END)).await;
        assert!(!parts.status.is_success(), "{kind}: a preflight is refused, got {}", parts.status);
        let cors: Vec<_> = parts.headers.keys().filter(|name| name.as_str().starts_with("access-control-")).collect();
        assert!(cors.is_empty(), "{kind}: no CORS headers at all without configured origins: {cors:?}");
    }
    suite.shutdown().await;
}

#[tokio::test]
async fn a_configured_origin_is_answered_and_its_page_calls_over_grpc_web() {
    let suite = TestSuite::spawn_with(Backend::Sqlite, |settings| {
        settings.server.cors_allowed_origins = vec![FRONT_END.into()];
    })
    .await;
    for kind in ServiceKind::ALL {
        let address = suite.addresses[&kind];
        let (parts, _) = send(address, preflight(address, LIST_HOUSEHOLDS, FRONT_END)).await;
        assert!(parts.status.is_success(), "{kind}: the preflight of a listed origin is answered: {}", parts.status);
        assert_eq!(header(&parts, "access-control-allow-origin"), Some(FRONT_END), "{kind}");
        assert_eq!(header(&parts, "access-control-allow-methods"), Some("POST"), "{kind}");
        let allowed = header(&parts, "access-control-allow-headers").expect("allowed headers");
        for wanted in REQUESTED_HEADERS.split(',') {
            assert!(allowed.split(',').any(|name| name.trim() == wanted), "{kind}: {wanted} is allowed: {allowed}");
        }
        assert_eq!(
            header(&parts, "access-control-allow-credentials"),
            None,
            "{kind}: the token is a header, no cookie"
        );
        assert!(header(&parts, "access-control-max-age").is_some(), "{kind}: the answer may be remembered");

        let (parts, _) = send(address, preflight(address, LIST_HOUSEHOLDS, OTHER_SITE)).await;
        assert_eq!(header(&parts, "access-control-allow-origin"), None, "{kind}: an origin not listed is not allowed");
    }

    let bistand = suite.addresses[&ServiceKind::Bistand];
    let household =
        applicant_household(&mut suite.bistand(Role::Socialsekreterare, KOMMUN), &number((1985, 4, 2, 11))).await;
    let token = suite.token(Role::Socialsekreterare, KOMMUN);
    let (parts, body) = send(bistand, grpc_web_list_households(bistand, FRONT_END, Some(&token))).await;
    assert_eq!(parts.status, http::StatusCode::OK);
    assert!(header(&parts, "content-type").is_some_and(|value| value.starts_with("application/grpc-web")), "{parts:?}");
    assert_eq!(header(&parts, "access-control-allow-origin"), Some(FRONT_END));
    let exposed = header(&parts, "access-control-expose-headers").expect("exposed headers");
    for wanted in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        assert!(exposed.split(',').any(|name| name.trim() == wanted), "{wanted} is readable by the page: {exposed}");
    }
    let (messages, trailers) = frames(body);
    assert_eq!(grpc_status(&parts, &trailers), "0", "{trailers}");
    let answer =
        bistand::ListHouseholdsResponse::decode(messages.first().expect("a message").clone()).expect("decodes");
    let ids: Vec<_> = answer.households.iter().map(|h| h.household_id.as_str()).collect();
    assert_eq!(ids, [household.household_id.as_str()]);

    // Over gRPC-Web as over gRPC, a call without a token is refused by authentication, and the page may read
    // why: the refusal carries the CORS headers too.
    let (parts, body) = send(bistand, grpc_web_list_households(bistand, FRONT_END, None)).await;
    let (_, trailers) = frames(body);
    assert_eq!(grpc_status(&parts, &trailers), (tonic::Code::Unauthenticated as i32).to_string(), "{trailers}");
    assert_eq!(header(&parts, "access-control-allow-origin"), Some(FRONT_END), "{parts:?}");

    // Plain gRPC on the same port is untouched.
    let plain = suite
        .bistand(Role::Socialsekreterare, KOMMUN)
        .list_households(bistand::ListHouseholdsRequest::default())
        .await
        .expect("plain gRPC");
    assert_eq!(plain.into_inner().households.len(), 1);
    suite.shutdown().await;
}
