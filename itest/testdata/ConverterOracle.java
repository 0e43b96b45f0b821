import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Decimal;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.SchemaAndValue;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.storage.SimpleHeaderConverter;

/**
 * The wire-conformance oracle: Kafka Connect's own JsonConverter (connect-json) and default header converter
 * (SimpleHeaderConverter), run over tandem's records, and used to write records as a Kafka Connect source
 * (Debezium) would. Run with the Java single-file source launcher and the Kafka jars on the class path.
 *
 * <p>{@code judge}: standard input holds one record part per line, TAB-separated: id, topic, kind, converter
 * ({@code on}: schemas.enable=true; {@code off}: false; {@code numeric}: true with decimal.format=NUMERIC),
 * base64 of the bytes ({@code ~} for null). Kinds: {@code key} and {@code value}
 * run JsonConverter.toConnectData, then fromConnectData of the result; {@code header} runs
 * SimpleHeaderConverter.toConnectHeader, then fromConnectHeader; {@code keyheader} reads the bytes as a key
 * with JsonConverter and writes that key as a header with SimpleHeaderConverter, which is what Debezium puts in
 * its __debezium.newkey/oldkey headers. Each line is answered, in order, with id, {@code OK}, base64 of the
 * bytes written ({@code ~} for null), or id, {@code ERR}, the exception. The value converter does not replace
 * nulls with field defaults (replace.null.with.default=false): tandem writes the column's true null.
 *
 * <p>{@code write DB}: prints Debezium-shaped change events built with Connect's Schema and Struct, one record
 * per line: variant, key, value (base64, {@code ~} for null), then header name and base64 value pairs.
 * Variants: {@code on} (schemas.enable=true, table won), {@code off} (schemas.enable=false, table woff) and
 * {@code numeric} (schemas on, decimal.format=numeric, table wnum). itest/jsonconverter_test.go knows the
 * values and checks what the sink makes of them.
 */
public class ConverterOracle {
    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        switch (args.length > 0 ? args[0] : "") {
            case "judge" -> judge(out);
            case "write" -> write(args[1], out);
            default -> throw new IllegalArgumentException("usage: ConverterOracle judge | write DB");
        }
        out.flush();
    }

    /** A JsonConverter; judges keep nulls (replaceNull false), writers use Connect's default (true). */
    static JsonConverter converter(boolean isKey, boolean schemas, String decimalFormat, boolean replaceNull) {
        JsonConverter c = new JsonConverter();
        Map<String, Object> cfg = new HashMap<>();
        cfg.put("schemas.enable", Boolean.toString(schemas));
        cfg.put("replace.null.with.default", Boolean.toString(replaceNull));
        cfg.put("decimal.format", decimalFormat);
        c.configure(cfg, isKey);
        return c;
    }

    static String b64(byte[] b) {
        return b == null ? "~" : Base64.getEncoder().encodeToString(b);
    }

    static byte[] unb64(String s) {
        return s.equals("~") ? null : Base64.getDecoder().decode(s);
    }

    // ---- judge ----

    static void judge(PrintStream out) throws Exception {
        Map<String, JsonConverter> conv = new HashMap<>();
        for (String kind : new String[] {"key", "value"}) {
            conv.put(kind + "/on", converter(kind.equals("key"), true, "BASE64", false));
            conv.put(kind + "/off", converter(kind.equals("key"), false, "BASE64", false));
            conv.put(kind + "/numeric", converter(kind.equals("key"), true, "NUMERIC", false));
        }
        SimpleHeaderConverter headers = new SimpleHeaderConverter();
        headers.configure(new HashMap<>());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        for (String line; (line = in.readLine()) != null; ) {
            String[] f = line.split("\t", -1);
            if (f.length != 5) {
                throw new IllegalArgumentException("want 5 TAB-separated fields: " + line);
            }
            String id = f[0], topic = f[1], kind = f[2], format = f[3];
            try {
                byte[] in1 = unb64(f[4]), res;
                switch (kind) {
                    case "key", "value" -> {
                        JsonConverter c = conv.get(kind + "/" + format);
                        SchemaAndValue sv = c.toConnectData(topic, in1);
                        res = c.fromConnectData(topic, sv.schema(), sv.value());
                    }
                    case "header" -> {
                        SchemaAndValue sv = headers.toConnectHeader(topic, "h", in1);
                        res = headers.fromConnectHeader(topic, "h", sv.schema(), sv.value());
                    }
                    case "keyheader" -> {
                        SchemaAndValue sv = conv.get("key/" + format).toConnectData(topic, in1);
                        res = headers.fromConnectHeader(topic, "__debezium.newkey", sv.schema(), sv.value());
                    }
                    default -> throw new IllegalArgumentException("unknown kind " + kind);
                }
                out.println(id + "\tOK\t" + b64(res));
            } catch (Exception e) {
                out.println(id + "\tERR\t" + (e.getClass().getName() + ": " + e.getMessage()).replaceAll("[\t\r\n]", " "));
            }
        }
    }

    // ---- write ----

    /** A column: its name, Connect schema (optional unless said otherwise) and row values. */
    record Col(String name, Schema schema, boolean schemalessAmbiguous, Object... values) {}

    static SchemaBuilder named(SchemaBuilder b, String name) {
        return b.name(name).version(1);
    }

    static int days(String d) {
        return (int) LocalDate.parse(d).toEpochDay();
    }

    static long micros(LocalDateTime t) {
        var i = t.toInstant(ZoneOffset.UTC);
        return i.getEpochSecond() * 1_000_000L + i.getNano() / 1000;
    }

    static byte[] wkbPoint(double x, double y) {
        return ByteBuffer.allocate(21).order(ByteOrder.LITTLE_ENDIAN).put((byte) 1).putInt(1).putDouble(x).putDouble(y).array();
    }

    static byte[] wkbLine(double... xy) {
        ByteBuffer b = ByteBuffer.allocate(9 + 8 * xy.length).order(ByteOrder.LITTLE_ENDIAN).put((byte) 1).putInt(2).putInt(xy.length / 2);
        for (double v : xy) {
            b.putDouble(v);
        }
        return b.array();
    }

    static final Schema POINT = named(SchemaBuilder.struct(), "io.debezium.data.geometry.Point").doc("Geometry (POINT)")
            .field("x", Schema.FLOAT64_SCHEMA).field("y", Schema.FLOAT64_SCHEMA)
            .field("wkb", Schema.OPTIONAL_BYTES_SCHEMA).field("srid", Schema.OPTIONAL_INT32_SCHEMA).optional().build();
    static final Schema GEOMETRY = named(SchemaBuilder.struct(), "io.debezium.data.geometry.Geometry").doc("Geometry")
            .field("wkb", Schema.BYTES_SCHEMA).field("srid", Schema.OPTIONAL_INT32_SCHEMA).optional().build();

    static Struct point(double x, double y, Integer srid) {
        return new Struct(POINT).put("x", x).put("y", y).put("wkb", wkbPoint(x, y)).put("srid", srid);
    }

    static Struct line(Integer srid) {
        return new Struct(GEOMETRY).put("wkb", wkbLine(0, 0, 1, 1, 2, 0)).put("srid", srid);
    }

    /** The columns of table w (see the test's wireTableDDL) and their values in rows 1 and 2. */
    static List<Col> columns() {
        LocalDateTime dtm1 = LocalDateTime.parse("2024-02-29T23:59:59.123"), dtm2 = LocalDateTime.parse("1969-12-31T23:59:59.999");
        long tmu = 838L * 3600 + 59 * 60 + 59;
        List<Col> c = new ArrayList<>();
        c.add(new Col("i8", Schema.OPTIONAL_INT8_SCHEMA, false, (byte) 127, (byte) -128));
        c.add(new Col("i16", Schema.OPTIONAL_INT16_SCHEMA, false, (short) 32767, (short) -32768));
        c.add(new Col("i32", Schema.OPTIONAL_INT32_SCHEMA, false, 2147483647, -2147483648));
        c.add(new Col("i64", Schema.OPTIONAL_INT64_SCHEMA, false, Long.MAX_VALUE, Long.MIN_VALUE));
        c.add(new Col("f32", Schema.OPTIONAL_FLOAT32_SCHEMA, false, 3.25f, -0.5f));
        c.add(new Col("f64", Schema.OPTIONAL_FLOAT64_SCHEMA, false, 1.5e300, -2.5e-300));
        c.add(new Col("b", Schema.OPTIONAL_BOOLEAN_SCHEMA, false, true, false));
        c.add(new Col("bit1", Schema.OPTIONAL_BOOLEAN_SCHEMA, false, true, false));
        c.add(new Col("s", Schema.STRING_SCHEMA, false, "héllo 😀 \"q\"\nz", "two"));
        c.add(new Col("bs", Schema.OPTIONAL_BYTES_SCHEMA, false, new byte[] {0, (byte) 0xff, 0x10}, new byte[0]));
        c.add(new Col("opt", Schema.OPTIONAL_STRING_SCHEMA, false, null, "x"));
        c.add(new Col("dec1", Decimal.builder(3).parameter("connect.decimal.precision", "10").optional().build(), false,
                new BigDecimal("1234567.891"), new BigDecimal("-0.001")));
        c.add(new Col("dt", named(SchemaBuilder.int32(), "io.debezium.time.Date").optional().build(), false,
                days("2024-02-29"), days("1000-01-01")));
        c.add(new Col("tm", named(SchemaBuilder.int32(), "io.debezium.time.Time").optional().build(), true,
                (int) (LocalTime.parse("13:45:12.345").toNanoOfDay() / 1_000_000), 0));
        c.add(new Col("tmu", named(SchemaBuilder.int64(), "io.debezium.time.MicroTime").optional().build(), false,
                tmu * 1_000_000L, -tmu * 1_000_000L));
        c.add(new Col("dtm", named(SchemaBuilder.int64(), "io.debezium.time.Timestamp").optional().build(), false,
                dtm1.toInstant(ZoneOffset.UTC).toEpochMilli(), dtm2.toInstant(ZoneOffset.UTC).toEpochMilli()));
        c.add(new Col("dtmu", named(SchemaBuilder.int64(), "io.debezium.time.MicroTimestamp").optional().build(), false,
                micros(LocalDateTime.parse("9999-12-31T23:59:59.999999")), micros(LocalDateTime.parse("1000-01-01T00:00:00.000001"))));
        c.add(new Col("zts", named(SchemaBuilder.string(), "io.debezium.time.ZonedTimestamp").optional().build(), false,
                "2038-01-19T03:14:07.999999Z", "1970-01-01T00:00:01Z"));
        c.add(new Col("yr", named(SchemaBuilder.int32(), "io.debezium.time.Year").optional().build(), false, 2155, 1901));
        c.add(new Col("bits", named(SchemaBuilder.bytes(), "io.debezium.data.Bits").parameter("length", "10").optional().build(), false,
                new byte[] {0x01, 0x02}, new byte[] {0, 0}));
        c.add(new Col("en", named(SchemaBuilder.string(), "io.debezium.data.Enum").parameter("allowed", "small,medium,large").optional().build(),
                false, "large", "small"));
        c.add(new Col("es", named(SchemaBuilder.string(), "io.debezium.data.EnumSet").parameter("allowed", "a,b,c").optional().build(),
                false, "a,c", ""));
        c.add(new Col("js", named(SchemaBuilder.string(), "io.debezium.data.Json").optional().build(), false,
                "{\"k\":[1,2.5,\"x\"],\"u\":\"😀\"}", "[]"));
        c.add(new Col("pt", POINT, false, point(1.5, -2.25, 4326), point(0, 0, null)));
        c.add(new Col("g", GEOMETRY, false, line(null), line(3857)));
        c.add(new Col("cd", org.apache.kafka.connect.data.Date.builder().optional().build(), false,
                new java.util.Date(LocalDate.parse("2024-02-29").toEpochDay() * 86_400_000L),
                new java.util.Date(LocalDate.parse("1000-01-01").toEpochDay() * 86_400_000L)));
        c.add(new Col("ct", org.apache.kafka.connect.data.Time.builder().optional().build(), true,
                new java.util.Date(LocalTime.parse("13:45:12.345").toNanoOfDay() / 1_000_000), new java.util.Date(0)));
        c.add(new Col("cts", org.apache.kafka.connect.data.Timestamp.builder().optional().build(), false,
                new java.util.Date(dtm1.toInstant(ZoneOffset.UTC).toEpochMilli()), new java.util.Date(dtm2.toInstant(ZoneOffset.UTC).toEpochMilli())));
        return c;
    }

    /** Debezium's MySQL source block schema (3.1+). */
    static final Schema SOURCE = named(SchemaBuilder.struct(), "io.debezium.connector.mysql.Source")
            .field("version", Schema.STRING_SCHEMA).field("connector", Schema.STRING_SCHEMA).field("name", Schema.STRING_SCHEMA)
            .field("ts_ms", Schema.INT64_SCHEMA)
            .field("snapshot", named(SchemaBuilder.string(), "io.debezium.data.Enum")
                    .parameter("allowed", "true,first,first_in_data_collection,last_in_data_collection,last,false,incremental")
                    .defaultValue("false").optional().build())
            .field("db", Schema.STRING_SCHEMA).field("sequence", Schema.OPTIONAL_STRING_SCHEMA)
            .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA).field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA)
            .field("table", Schema.OPTIONAL_STRING_SCHEMA).field("server_id", Schema.INT64_SCHEMA)
            .field("gtid", Schema.OPTIONAL_STRING_SCHEMA).field("file", Schema.STRING_SCHEMA).field("pos", Schema.INT64_SCHEMA)
            .field("row", Schema.INT32_SCHEMA).field("thread", Schema.OPTIONAL_INT64_SCHEMA).field("query", Schema.OPTIONAL_STRING_SCHEMA)
            .build();
    static final Schema TRANSACTION = SchemaBuilder.struct().name("event.block").version(1)
            .field("id", Schema.STRING_SCHEMA).field("total_order", Schema.INT64_SCHEMA)
            .field("data_collection_order", Schema.INT64_SCHEMA).optional().build();

    /** One variant's schemas and converters: a table of its own. */
    static final class Table {
        final String db, table, prefix = "oracle";
        final List<Col> cols = new ArrayList<>();
        final Schema key, row, envelope;
        final JsonConverter keyConv, valueConv;
        final String variant;
        final PrintStream out;
        long pos = 4;

        Table(String variant, String db, String table, boolean schemas, String decimalFormat, PrintStream out) {
            this.variant = variant;
            this.db = db;
            this.table = table;
            this.out = out;
            String base = prefix + "." + db + "." + table;
            key = SchemaBuilder.struct().name(base + ".Key").field("id", Schema.INT32_SCHEMA).build();
            SchemaBuilder r = SchemaBuilder.struct().name(base + ".Value").field("id", Schema.INT32_SCHEMA);
            for (Col c : columns()) {
                // Without schemas an int in a TIME column reads as MicroTime, as Debezium's default
                // time.precision.mode writes it: a millisecond time cannot travel schemaless.
                if (schemas || !c.schemalessAmbiguous()) {
                    cols.add(c);
                    r.field(c.name(), c.schema());
                }
            }
            row = r.optional().build();
            envelope = SchemaBuilder.struct().name(base + ".Envelope").version(2)
                    .field("before", row).field("after", row).field("source", SOURCE).field("transaction", TRANSACTION)
                    .field("op", Schema.STRING_SCHEMA).field("ts_ms", Schema.OPTIONAL_INT64_SCHEMA)
                    .field("ts_us", Schema.OPTIONAL_INT64_SCHEMA).field("ts_ns", Schema.OPTIONAL_INT64_SCHEMA).build();
            keyConv = converter(true, schemas, decimalFormat, true);
            valueConv = converter(false, schemas, decimalFormat, true);
        }

        /** Row number n (1 or 2) of the column values with another id and string s; n = 0 is all nulls. */
        Struct row(int id, int n, String s) {
            Struct st = new Struct(row).put("id", id);
            for (Col c : cols) {
                st.put(c.name(), c.name().equals("s") ? s : n == 0 ? null : c.values()[n - 1]);
            }
            return st;
        }

        Struct key(int id) {
            return new Struct(key).put("id", id);
        }

        Struct source(String snapshot, String query) {
            long ms = 1_700_000_000_000L + pos;
            return new Struct(SOURCE).put("version", "3.1.0.Final").put("connector", "mysql").put("name", prefix)
                    .put("ts_ms", ms).put("snapshot", snapshot).put("db", db).put("ts_us", ms * 1000).put("ts_ns", ms * 1_000_000)
                    .put("table", table).put("server_id", snapshot == null ? 1L : 0L).put("file", "mysql-bin.000003")
                    .put("pos", pos += 100).put("row", 0).put("thread", snapshot == null ? 7L : null).put("query", query);
        }

        /** Prints one record; a null op is a tombstone. Headers are name, Connect key pairs. */
        void emit(int keyID, String op, Struct before, Struct after, String snapshot, String query, Object... headers) {
            Struct k = key(keyID);
            byte[] value = null;
            if (op != null) {
                long ms = 1_700_000_000_500L + pos;
                Struct env = new Struct(envelope).put("before", before).put("after", after).put("source", source(snapshot, query))
                        .put("op", op).put("ts_ms", ms).put("ts_us", ms * 1000).put("ts_ns", ms * 1_000_000);
                value = valueConv.fromConnectData(variant, envelope, env);
            }
            StringBuilder line = new StringBuilder(variant).append('\t').append(b64(keyConv.fromConnectData(variant, key, k)))
                    .append('\t').append(b64(value));
            SimpleHeaderConverter hc = new SimpleHeaderConverter();
            for (int i = 0; i < headers.length; i += 2) {
                Struct h = (Struct) headers[i + 1];
                line.append('\t').append(headers[i]).append('\t').append(b64(hc.fromConnectHeader(variant, (String) headers[i], h.schema(), h)));
            }
            out.println(line);
        }
    }

    /**
     * The records of each variant: creates of rows 1, 2 and 3 (all nulls), an update of row 2, a create then
     * delete and tombstone of row 4, a snapshot read of row 5, a key change 5 -> 55 (delete with
     * __debezium.newkey, tombstone, create with __debezium.oldkey), and a create of row 6 whose source.query
     * carries the loop marker (the sink must skip it). On B: rows 1, 2 (s = "updated", i32 = 7), 3, 55.
     */
    static void write(String db, PrintStream out) {
        Table[] tables = {
            new Table("on", db, "won", true, "BASE64", out),
            new Table("off", db, "woff", false, "BASE64", out),
            new Table("numeric", db, "wnum", true, "NUMERIC", out),
        };
        for (Table t : tables) {
            t.emit(1, "c", null, t.row(1, 1, "héllo 😀 \"q\"\nz"), null, "INSERT INTO w VALUES (1, …)");
            t.emit(2, "c", null, t.row(2, 2, "two"), null, null);
            t.emit(3, "c", null, t.row(3, 0, "nulls"), null, null);
            t.emit(2, "u", t.row(2, 2, "two"), t.row(2, 2, "updated").put("i32", 7), null, null);
            t.emit(4, "c", null, t.row(4, 1, "four"), null, null);
            t.emit(4, "d", t.row(4, 1, "four"), null, null, null);
            t.emit(4, null, null, null, null, null);
            t.emit(5, "r", null, t.row(5, 1, "snap"), "last", null);
            t.emit(5, "d", t.row(5, 1, "snap"), null, null, null, "__debezium.newkey", t.key(55));
            t.emit(5, null, null, null, null, null, "__debezium.newkey", t.key(55));
            t.emit(55, "c", null, t.row(55, 1, "moved"), null, null, "__debezium.oldkey", t.key(5));
            t.emit(6, "c", null, t.row(6, 1, "marked"), null, "/* dts */ INSERT INTO w VALUES (6, …)");
        }
    }
}
