//! Compiles `proto/` with protox (pure Rust, no system `protoc`) into Rust messages, clients and servers,
//! and writes the descriptor set that server reflection and the contract tests read.

use std::path::PathBuf;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR")?);
    let proto_root = manifest_dir.join("../../proto");
    println!("cargo:rerun-if-changed={}", proto_root.display());

    let files = [
        "trappan/common/v1/common.proto",
        "trappan/bistand/v1/bistand.proto",
        "trappan/insatser/v1/insatser.proto",
        "trappan/ungsam/v1/ungsam.proto",
        "trappan/rapport/v1/rapport.proto",
        "trappan/audit/v1/audit.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={}", proto_root.join(file).display());
    }
    let descriptors = protox::compile(files, [&proto_root])?;

    let out_dir = PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out_dir.join("trappan_descriptor.bin"), prost::Message::encode_to_vec(&descriptors))?;

    // Type names let events be packed into `google.protobuf.Any` in the change feeds.
    let mut prost_config = tonic_prost_build::Config::new();
    prost_config.enable_type_names();
    tonic_prost_build::configure()
        .type_attribute(".", "#[allow(clippy::all, missing_docs)]")
        .compile_fds_with_config(descriptors, prost_config)?;
    Ok(())
}
