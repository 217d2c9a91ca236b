/*
 * The C API of pecmail: Alfa builds a transport envelope (signed through a callback, as an
 * HSM integration would) and an acceptance receipt (signed in two phases: the bytes out,
 * the signature in), then reads both back and prints their kinds.
 *
 * The signer here is OpenSSL's libcrypto with a test key; any HSM code fits the callback.
 *
 *   ffi/c-example.sh               (builds the library and this program, runs it, and runs
 *                                   it again under valgrind)
 *   exchange PKI_DIR               (PKI_DIR: tests/fixtures/pki)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "pecmail.h"

/* Reads a whole file; NULL on failure. */
static unsigned char *read_file(const char *dir, const char *name, size_t *len) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "cannot open %s\n", path);
        return NULL;
    }
    unsigned char *data = NULL;
    size_t size = 0;
    unsigned char chunk[4096];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        unsigned char *grown = realloc(data, size + n);
        if (grown == NULL) {
            free(data);
            fclose(f);
            return NULL;
        }
        data = grown;
        memcpy(data + size, chunk, n);
        size += n;
    }
    fclose(f);
    *len = size;
    return data;
}

/* Prints the library's message for a failed call and returns 1. */
static int fail(const char *what, pecmail_status status) {
    char message[512];
    pecmail_last_error(message, sizeof message);
    fprintf(stderr, "%s failed (%d): %s\n", what, (int)status, message);
    return 1;
}

/* RSA PKCS #1 v1.5 over the DigestInfo, as a raw-RSA HSM mechanism (CKM_RSA_PKCS) does. */
static int rsa_sign_digest_info(EVP_PKEY *key, const uint8_t *digest_info, size_t digest_info_len,
                                uint8_t *signature, size_t capacity, size_t *signature_len) {
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
    int ok = ctx != NULL && EVP_PKEY_sign_init(ctx) == 1 &&
             EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1;
    size_t len = capacity;
    ok = ok && EVP_PKEY_sign(ctx, signature, &len, digest_info, digest_info_len) == 1;
    EVP_PKEY_CTX_free(ctx);
    if (!ok) {
        return -1;
    }
    *signature_len = len;
    return 0;
}

/* The signer callback: user_data is the key. */
static int sign_callback(void *user_data, const uint8_t *to_be_signed, size_t to_be_signed_len,
                         const uint8_t *digest_info, size_t digest_info_len, uint8_t *signature,
                         size_t capacity, size_t *signature_len) {
    (void)to_be_signed;
    (void)to_be_signed_len;
    return rsa_sign_digest_info((EVP_PKEY *)user_data, digest_info, digest_info_len, signature,
                                capacity, signature_len);
}

static const char ORIGINAL[] =
    "From: Mario Rossi <mario.rossi@pec.alfa.test>\r\n"
    "To: anna.bianchi@pec.beta.test\r\n"
    "Cc: ordinario@example.com\r\n"
    "Subject: Prova dal programma C\r\n"
    "Date: Mon, 01 Jun 2026 09:59:58 +0200\r\n"
    "Message-ID: <c-example.1@client.example>\r\n"
    "\r\n"
    "Buongiorno.\r\n";

/* Reads a built message back and prints what it is; returns 0 when it is a valid message of
 * the expected kind. */
static int check(const pecmail_trust_store *store, const pecmail_bytes *message,
                 const char *expected) {
    /* The time trust is checked at is the caller's: here the exchange's, 2026-06-01 10:00:00
     * +0200, never a time the message claims. */
    const pecmail_time now = {1780300800, 120};
    pecmail_message *m = NULL;
    pecmail_status s = pecmail_read(pecmail_bytes_data(message), pecmail_bytes_len(message),
                                        store, 0, &now, &m);
    if (s != PECMAIL_OK) {
        return fail("pecmail_read", s);
    }
    const char *kind = pecmail_message_string(m, PECMAIL_FIELD_KIND);
    const char *provider = pecmail_message_string(m, PECMAIL_FIELD_PROVIDER);
    printf("%-20s %6zu bytes  signature %s, %s by %s, valid: %s\n", kind,
           pecmail_bytes_len(message), pecmail_message_string(m, PECMAIL_FIELD_SIGNATURE),
           pecmail_message_string(m, PECMAIL_FIELD_TRUST), provider ? provider : "-",
           pecmail_message_valid(m) ? "yes" : "no");
    size_t n = 0;
    pecmail_message_recipient_count(m, &n);
    for (size_t i = 0; i < n; i++) {
        const char *address = NULL;
        bool certified = false;
        if (pecmail_message_recipient(m, i, &address, &certified) == PECMAIL_OK) {
            printf("    destinatario %s (%s)\n", address, certified ? "certificato" : "esterno");
        }
    }
    pecmail_message_diagnostic_count(m, &n);
    for (size_t i = 0; i < n; i++) {
        const char *code = NULL, *severity = NULL, *detail = NULL;
        pecmail_message_diagnostic(m, i, &code, &severity, &detail);
        printf("    %s [%s]: %s\n", severity, code, detail);
    }
    int ok = pecmail_message_valid(m) && strcmp(kind, expected) == 0;
    pecmail_message_free(m);
    return ok ? 0 : 1;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s PKI_DIR\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    int rc = 1;
    size_t alfa_len = 0, ca1_len = 0, root_len = 0, key_len = 0;
    unsigned char *alfa = read_file(dir, "alfa.der", &alfa_len);
    unsigned char *ca1 = read_file(dir, "ca1.der", &ca1_len);
    unsigned char *root = read_file(dir, "root.der", &root_len);
    unsigned char *key_pem = read_file(dir, "alfa.key", &key_len);
    EVP_PKEY *key = NULL;
    pecmail_trust_store *store = NULL;
    pecmail_emitter *emitter = NULL;
    pecmail_facts *facts = NULL;
    pecmail_pending *pending = NULL;
    pecmail_bytes *envelope = NULL, *acceptance = NULL;
    pecmail_status s;
    if (alfa == NULL || ca1 == NULL || root == NULL || key_pem == NULL) {
        goto out;
    }
    BIO *bio = BIO_new_mem_buf(key_pem, (int)key_len);
    key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
    BIO_free(bio);
    if (key == NULL) {
        fprintf(stderr, "cannot read alfa.key\n");
        goto out;
    }

    /* The trust store: Alfa as the provider index lists it, and the test root. */
    const uint8_t *certificates[] = {alfa};
    const size_t certificate_lens[] = {alfa_len};
    const char *domains[] = {"pec.alfa.test"};
    if ((s = pecmail_trust_store_new(&store)) != PECMAIL_OK ||
        (s = pecmail_trust_store_add_provider(store, "Alfa PEC S.p.A.",
                                                "posta-certificata@pec.alfa.test", certificates,
                                                certificate_lens, 1, domains, 1)) != PECMAIL_OK ||
        (s = pecmail_trust_store_add_anchor(store, root, root_len)) != PECMAIL_OK) {
        rc = fail("trust store", s);
        goto out;
    }

    /* The emitting provider and the facts of the transaction. */
    const uint8_t *chain[] = {ca1};
    const size_t chain_lens[] = {ca1_len};
    if ((s = pecmail_emitter_new("Alfa PEC S.p.A.", alfa, alfa_len, chain, chain_lens, 1,
                                   &emitter)) != PECMAIL_OK) {
        rc = fail("pecmail_emitter_new", s);
        goto out;
    }
    const char *recipients[] = {"anna.bianchi@pec.beta.test", "ordinario@example.com"};
    const bool certified[] = {true, false};
    if ((s = pecmail_facts_new((const uint8_t *)ORIGINAL, sizeof ORIGINAL - 1,
                                 "mario.rossi@pec.alfa.test", recipients, certified, 2,
                                 "opec-alfa.c.1@pec.alfa.test", &facts)) != PECMAIL_OK) {
        rc = fail("pecmail_facts_new", s);
        goto out;
    }
    const pecmail_time at = {1780300800, 120}; /* 2026-06-01 10:00:00 +0200 */

    /* The envelope, signed through the callback. */
    if ((s = pecmail_prepare_transport_envelope(emitter, facts, (const uint8_t *)ORIGINAL,
                                                  sizeof ORIGINAL - 1, at, &pending)) !=
        PECMAIL_OK) {
        rc = fail("pecmail_prepare_transport_envelope", s);
        goto out;
    }
    s = pecmail_pending_sign(pending, sign_callback, key, &envelope);
    pending = NULL; /* consumed */
    if (s != PECMAIL_OK) {
        rc = fail("pecmail_pending_sign", s);
        goto out;
    }

    /* The acceptance, in two phases: the DigestInfo out, the signature in. */
    if ((s = pecmail_prepare_acceptance(emitter, facts, "opec-alfa.c.2@pec.alfa.test", at,
                                          &pending)) != PECMAIL_OK) {
        rc = fail("pecmail_prepare_acceptance", s);
        goto out;
    }
    const uint8_t *digest_info = NULL;
    size_t digest_info_len = 0;
    uint8_t signature[1024];
    size_t signature_len = 0;
    if ((s = pecmail_pending_digest_info(pending, &digest_info, &digest_info_len)) !=
        PECMAIL_OK) {
        rc = fail("pecmail_pending_digest_info", s);
        goto out;
    }
    if (rsa_sign_digest_info(key, digest_info, digest_info_len, signature, sizeof signature,
                             &signature_len) != 0) {
        fprintf(stderr, "OpenSSL could not sign\n");
        goto out;
    }
    s = pecmail_pending_finish(pending, signature, signature_len, &acceptance);
    pending = NULL; /* consumed */
    if (s != PECMAIL_OK) {
        rc = fail("pecmail_pending_finish", s);
        goto out;
    }

    /* Both read back as valid messages of their kind. */
    rc = check(store, envelope, "transport-envelope") | check(store, acceptance, "acceptance");
    if (rc == 0) {
        printf("C example: both messages built, signed and read back as valid.\n");
    }

out:
    pecmail_bytes_free(acceptance);
    pecmail_bytes_free(envelope);
    pecmail_pending_free(pending);
    pecmail_facts_free(facts);
    pecmail_emitter_free(emitter);
    pecmail_trust_store_free(store);
    EVP_PKEY_free(key);
    free(key_pem);
    free(root);
    free(ca1);
    free(alfa);
    return rc;
}
