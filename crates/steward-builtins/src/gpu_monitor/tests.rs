//! Parsing recorded `nvidia-smi --query-gpu=… --format=csv,noheader,nounits` output.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use super::nvidia_smi::parse;
use super::reading::GpuReading;

const MIB: u64 = 1024 * 1024;

/// A DGX with two A100s, one busy.
const A100S: &str = "\
0, NVIDIA A100-SXM4-80GB, 37, 10240, 81920, 41, 72.91
1, NVIDIA A100-SXM4-80GB, 0, 4, 81920, 33, 61.12
";

/// A workstation of mixed cards; the old one reports neither utilisation nor power,
/// and the output ends in CRLF with a blank line, as it does when captured on some
/// systems.
const MIXED: &str = "0, Tesla T4, 0, 0, 15360, 34, 9.83\r\n1, NVIDIA GeForce RTX 3090, 100, 23800, 24576, 79, 349.21\r\n2, NVIDIA GeForce GT 710, [N/A], 212, 2001, 38, [N/A]\r\n\r\n";

/// A laptop GPU in a power state where the driver gives no power reading.
const LAPTOP: &str =
    "0, NVIDIA GeForce GTX 1650 with Max-Q Design, 3, 512, 4096, 52, [Not Supported]\n";

fn gpu(
    index: u32,
    name: &str,
    utilization: Option<f64>,
    memory_mib: (Option<u64>, Option<u64>),
    temperature: Option<f64>,
    power: Option<f64>,
) -> GpuReading {
    let mut gpu = GpuReading::new(index, name);
    gpu.utilization = utilization;
    gpu.memory_used_bytes = memory_mib.0.map(|mib| mib * MIB);
    gpu.memory_total_bytes = memory_mib.1.map(|mib| mib * MIB);
    gpu.temperature_celsius = temperature;
    gpu.power_watts = power;
    gpu
}

#[test]
fn every_gpu_becomes_a_reading_in_base_units() {
    let gpus = parse(A100S).unwrap();
    let name = "NVIDIA A100-SXM4-80GB";
    assert_eq!(
        gpus,
        [
            gpu(
                0,
                name,
                Some(0.37),
                (Some(10240), Some(81920)),
                Some(41.0),
                Some(72.91)
            ),
            gpu(
                1,
                name,
                Some(0.0),
                (Some(4), Some(81920)),
                Some(33.0),
                Some(61.12)
            ),
        ]
    );
    assert_eq!(gpus[0].memory_total_bytes, Some(85_899_345_920));
}

#[test]
fn values_a_gpu_does_not_offer_are_none() {
    let gpus = parse(MIXED).unwrap();
    assert_eq!(gpus.len(), 3, "{gpus:?}");
    assert_eq!(gpus[1].utilization, Some(1.0));
    assert_eq!(gpus[1].power_watts, Some(349.21));
    assert_eq!(
        gpus[2],
        gpu(
            2,
            "NVIDIA GeForce GT 710",
            None,
            (Some(212), Some(2001)),
            Some(38.0),
            None
        )
    );
    let laptop = parse(LAPTOP).unwrap();
    assert_eq!(laptop[0].name, "NVIDIA GeForce GTX 1650 with Max-Q Design");
    assert_eq!(laptop[0].power_watts, None);
    assert_eq!(laptop[0].utilization, Some(0.03));
}

#[test]
fn a_name_with_a_comma_stays_whole() {
    let gpus = parse("3, Quadro RTX 5000, Max-Q, 12, 100, 16384, 45, 20.5\n").unwrap();
    assert_eq!(gpus[0].index, 3);
    assert_eq!(gpus[0].name, "Quadro RTX 5000, Max-Q");
    assert_eq!(gpus[0].power_watts, Some(20.5));
}

#[test]
fn no_output_is_no_gpu() {
    assert_eq!(parse("").unwrap(), []);
    assert_eq!(parse("\n\n").unwrap(), []);
}

#[test]
fn unexpected_output_names_the_line_and_the_value() {
    let error = parse("No devices were found\n").unwrap_err().to_string();
    assert!(
        error.starts_with("line 1 of its output: expected 7 comma-separated values"),
        "{error}"
    );
    let error =
        parse("0, Tesla T4, 0, 0, 15360, 34, 9.83\n1, Tesla T4, busy, 0, 15360, 34, 9.83\n")
            .unwrap_err()
            .to_string();
    assert_eq!(
        error,
        "line 2 of its output: utilization.gpu `busy` is not a number"
    );
    let error = parse("x, Tesla T4, 0, 0, 15360, 34, 9.83")
        .unwrap_err()
        .to_string();
    assert!(
        error.contains("the GPU index `x` is not a number"),
        "{error}"
    );
}
