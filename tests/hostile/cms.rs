//! CMS: the BER/DER walker and the SignedData checks, against length bombs, deep
//! indefinite nesting, huge sets, empty and extra signers, unknown and weak digests.

use cms::content_info::ContentInfo;
use cms::signed_data::{SignedData, SignerInfos};
use der::{Decode, Encode};
use pecmail::ErrorKind::*;
use pecmail::cms::{SignOptions, SigningIdentity, VerifyOptions, verify_detached};

use super::common::{messages, pki, signers};
use super::{Case, Expect, Outcome};

const CONTENT: &[u8] = b"Content-Type: text/plain\r\n\r\nIl contenuto firmato.\r\n";

/// A valid detached signature of [`CONTENT`] by Alfa.
fn p7s() -> Vec<u8> {
    let (_, key) = signers("alfa").into_iter().next().unwrap();
    SigningIdentity::new(&pki("alfa.der"), &[pki("ca1.der")])
        .unwrap()
        .prepare(CONTENT, messages::at(0), &SignOptions::default())
        .unwrap()
        .sign_with(key.as_ref())
        .unwrap()
}

/// The signature edited as a `SignedData`, re-encoded.
fn edited(edit: impl FnOnce(&mut SignedData)) -> Vec<u8> {
    let der = p7s();
    let mut ci = ContentInfo::from_der(&der).unwrap();
    let mut sd: SignedData = ci.content.decode_as().unwrap();
    edit(&mut sd);
    ci.content = der::Any::encode_from(&sd).unwrap();
    ci.to_der().unwrap()
}

fn verify(cms: &[u8]) -> Outcome {
    verify_detached(CONTENT, cms, &VerifyOptions::default())
        .map(|r| r.diagnostics.iter().map(|d| d.code).collect())
}

/// A TLV with a BER length of any size.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .iter()
            .copied()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend_from_slice(&bytes);
    }
    out.extend_from_slice(content);
    out
}

const SIGNED_DATA_OID: &[u8] = &[
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02,
];

pub fn cases() -> Vec<Case> {
    let md5 = der::oid::ObjectIdentifier::new_unwrap("1.2.840.113549.2.5");
    let unknown = der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.4.1.99999.1");
    let mut deep = Vec::new();
    for _ in 0..10_000 {
        deep.extend_from_slice(&[0x30, 0x80]);
    }
    for _ in 0..10_000 {
        deep.extend_from_slice(&[0x00, 0x00]);
    }
    // A [0] certificates set of 100,000 empty SEQUENCEs inside a SignedData.
    let huge_set = {
        let certs: Vec<u8> = std::iter::repeat_n([0x30u8, 0x00], 100_000)
            .flatten()
            .collect();
        let mut sd = Vec::new();
        sd.extend_from_slice(&[0x02, 0x01, 0x01]); // version
        sd.extend_from_slice(&[0x31, 0x00]); // digestAlgorithms
        sd.extend_from_slice(&[
            0x30, 0x0b, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
        ]);
        sd.extend(tlv(0xa0, &certs));
        sd.extend_from_slice(&[0x31, 0x00]); // signerInfos
        let mut ci = SIGNED_DATA_OID.to_vec();
        ci.extend(tlv(0xa0, &tlv(0x30, &sd)));
        tlv(0x30, &ci)
    };
    vec![
        Case::new(
            "a BER length bomb (2^63 bytes)",
            vec![
                0x30, 0x88, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x06, 0x00,
            ],
            Expect::Error(MalformedCms),
            verify,
        ),
        Case::new(
            "a length beyond the input",
            vec![0x30, 0x84, 0x00, 0x10, 0x00, 0x00, 0x06, 0x09],
            Expect::Error(MalformedCms),
            verify,
        ),
        Case::new(
            "10,000 nested indefinite lengths",
            deep,
            Expect::Error(LimitExceeded),
            verify,
        ),
        Case::new(
            "a SET OF 100,000 certificates",
            huge_set,
            Expect::Error(MalformedCms),
            verify,
        ),
        Case::new(
            "an empty signature value",
            edited(|sd| {
                let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
                infos[0].signature = der::asn1::OctetString::new(Vec::new()).unwrap();
                sd.signer_infos = SignerInfos(infos.try_into().unwrap());
            }),
            Expect::Error(SignatureInvalid),
            verify,
        ),
        Case::new(
            "two signers",
            edited(|sd| {
                let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
                let mut second = infos[0].clone();
                second.signature = der::asn1::OctetString::new(vec![1u8; 256]).unwrap();
                infos.push(second);
                sd.signer_infos = SignerInfos(infos.try_into().unwrap());
            }),
            Expect::Error(MalformedCms),
            verify,
        ),
        Case::new(
            "no signer",
            edited(|sd| sd.signer_infos = SignerInfos(Vec::new().try_into().unwrap())),
            Expect::Error(MalformedCms),
            verify,
        ),
        Case::new(
            "an unknown digest algorithm",
            edited(|sd| {
                let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
                infos[0].digest_alg.oid = unknown;
                sd.signer_infos = SignerInfos(infos.try_into().unwrap());
            }),
            Expect::Error(UnsupportedAlgorithm),
            verify,
        ),
        Case::new(
            "MD5",
            edited(|sd| {
                let mut infos: Vec<_> = sd.signer_infos.0.iter().cloned().collect();
                infos[0].digest_alg.oid = md5;
                sd.signer_infos = SignerInfos(infos.try_into().unwrap());
            }),
            Expect::Error(UnsupportedAlgorithm),
            verify,
        ),
        Case::new(
            "the signer's certificate removed",
            edited(|sd| sd.certificates = None),
            Expect::Error(MalformedCms),
            verify,
        ),
        Case::new(
            "content embedded (not detached)",
            edited(|sd| {
                sd.encap_content_info.econtent = Some(
                    der::Any::encode_from(&der::asn1::OctetString::new(CONTENT.to_vec()).unwrap())
                        .unwrap(),
                );
            }),
            Expect::Error(MalformedCms),
            verify,
        ),
        Case::new(
            "not SignedData",
            {
                let mut ci = vec![
                    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01,
                ];
                ci.extend(tlv(0xa0, &[0x04, 0x00]));
                tlv(0x30, &ci)
            },
            Expect::Error(MalformedCms),
            verify,
        ),
        Case::new(
            "a signature over other content",
            p7s(),
            Expect::Error(DigestMismatch),
            |cms| {
                verify_detached(b"altro", cms, &VerifyOptions::default())
                    .map(|r| r.diagnostics.iter().map(|d| d.code).collect())
            },
        ),
        Case::new(
            "an empty input",
            Vec::new(),
            Expect::Error(MalformedCms),
            verify,
        ),
        Case::new(
            "a signature over the size limit",
            p7s(),
            Expect::Error(LimitExceeded),
            |cms| {
                let mut o = VerifyOptions::default();
                o.max_signature_size = 100;
                verify_detached(CONTENT, cms, &o)
                    .map(|r| r.diagnostics.iter().map(|d| d.code).collect())
            },
        ),
        Case::new(
            "trailing garbage after the ContentInfo",
            {
                let mut d = p7s();
                d.extend_from_slice(&[0x00; 64]);
                d
            },
            Expect::Error(MalformedCms),
            verify,
        ),
    ]
}
