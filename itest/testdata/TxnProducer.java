import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Writes records to a topic in Kafka transactions, as Kafka Connect does for a source connector with
 * exactly.once.source.support=enabled. Arguments: bootstrap servers, topic. Standard input holds one
 * command per line: "begin", "send", TAB, key, TAB, value; "commit"; "abort".
 */
public class TxnProducer {
    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        props.put("transactional.id", "tandem-itest-" + args[1]);
        props.put("key.serializer", StringSerializer.class.getName());
        props.put("value.serializer", StringSerializer.class.getName());
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            for (String line; (line = in.readLine()) != null; ) {
                String[] f = line.split("\t", 3);
                switch (f[0]) {
                    case "begin" -> producer.beginTransaction();
                    case "send" -> producer.send(new ProducerRecord<>(args[1], f[1], f[2])).get();
                    case "commit" -> producer.commitTransaction();
                    case "abort" -> producer.abortTransaction();
                    default -> throw new IllegalArgumentException("unknown command: " + line);
                }
            }
        }
    }
}
