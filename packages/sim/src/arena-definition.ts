/**
 * The arena protocol definition, a verbatim copy of `examples/protocols/arena.json`
 * (a test checks that the two stay identical), embedded so the published
 * package needs no file access.
 */
export const ARENA_DEFINITION: Readonly<Record<string, unknown>> = {
  "name": "arena",
  "version": "1.0.0",
  "description": "tickscope's reference shooter protocol (used by @tickscope/sim). Every datagram: a 20-byte header (protocol id, datagram sequence u16, ack u16, 32 ack bits, sender clock in microseconds as u48), then one or more messages, each framed as type (u8) + length (u16, bytes of the message body after this 3-byte frame header). All integers big-endian; quantized values are bit-packed MSB first and each message body is padded to a whole byte.",
  "byteOrder": "big",
  "match": {
    "description": "A flow is arena's once a datagram starts with the protocol id 'ARMA'. It is a flow condition, not a datagram one: on an arena flow a datagram with a forged protocol id is still decoded, and the decode anomaly is tampering evidence. No fixed port: the simulator and real servers choose it (pass --server-port to restrict).",
    "excludePorts": [{ "from": 0, "to": 1023 }, 1900, 5353, 5355],
    "flow": [{ "field": "protocolId", "equals": 1095912769, "description": "0x41524D41 'ARMA'" }]
  },
  "header": [
    {
      "name": "protocolId",
      "type": "u32",
      "enum": [
        1095912769
      ],
      "description": "0x41524D41 ('ARMA')"
    },
    {
      "name": "sequence",
      "type": "u16",
      "role": "sequence",
      "description": "datagram sequence number, one space per direction"
    },
    {
      "name": "ack",
      "type": "u16",
      "role": "ack",
      "description": "most recent datagram sequence received from the peer"
    },
    {
      "name": "ackBits",
      "type": "u32",
      "role": "ackBits",
      "description": "bit i set: datagram ack-1-i was received too"
    },
    {
      "name": "sendTimeUs",
      "type": "uint",
      "bits": 48,
      "role": "sendTime",
      "unit": "us",
      "description": "sender clock at send time, microseconds since the sender's clock epoch"
    }
  ],
  "body": {
    "repeat": "untilEnd",
    "maxMessages": 64,
    "frameHeader": [
      {
        "name": "messageType",
        "type": "u8",
        "role": "messageType"
      },
      {
        "name": "length",
        "type": "u16"
      }
    ],
    "length": {
      "field": "length"
    },
    "select": {
      "on": "messageType",
      "cases": [
        {
          "value": 1,
          "message": "input"
        },
        {
          "value": 2,
          "message": "snapshot"
        },
        {
          "value": 3,
          "message": "spawn"
        },
        {
          "value": 4,
          "message": "death"
        },
        {
          "value": 5,
          "message": "chat"
        },
        {
          "value": 6,
          "message": "ping"
        },
        {
          "value": 7,
          "message": "pong"
        },
        {
          "value": 8,
          "message": "shot"
        },
        {
          "value": 9,
          "message": "stateReset"
        }
      ]
    }
  },
  "types": {
    "inputFrame": {
      "type": "struct",
      "description": "one sampled input: movement axes, aim and buttons",
      "fields": [
        {
          "name": "moveX",
          "type": "quantized",
          "min": -1,
          "max": 1,
          "bits": 8
        },
        {
          "name": "moveY",
          "type": "quantized",
          "min": -1,
          "max": 1,
          "bits": 8
        },
        {
          "name": "aimYaw",
          "type": "quantized",
          "min": 0,
          "max": 6.283185307179586,
          "bits": 16
        },
        {
          "name": "aimPitch",
          "type": "quantized",
          "min": -1.5707963267948966,
          "max": 1.5707963267948966,
          "bits": 16
        },
        {
          "name": "buttons",
          "type": "u8"
        }
      ]
    },
    "entityState": {
      "type": "struct",
      "fields": [
        {
          "name": "entityId",
          "type": "u16",
          "role": "entityId"
        },
        {
          "name": "x",
          "type": "quantized",
          "min": -2048,
          "max": 2048,
          "bits": 20,
          "role": "position.x"
        },
        {
          "name": "y",
          "type": "quantized",
          "min": -2048,
          "max": 2048,
          "bits": 20,
          "role": "position.y"
        },
        {
          "name": "z",
          "type": "quantized",
          "min": -2048,
          "max": 2048,
          "bits": 20,
          "role": "position.z"
        },
        {
          "name": "yaw",
          "type": "quantized",
          "min": 0,
          "max": 6.283185307179586,
          "bits": 12,
          "role": "rotation"
        },
        {
          "name": "velocityX",
          "type": "quantized",
          "min": -64,
          "max": 64,
          "bits": 12,
          "role": "velocity.x"
        },
        {
          "name": "velocityY",
          "type": "quantized",
          "min": -64,
          "max": 64,
          "bits": 12,
          "role": "velocity.y"
        },
        {
          "name": "velocityZ",
          "type": "quantized",
          "min": -64,
          "max": 64,
          "bits": 12,
          "role": "velocity.z"
        },
        {
          "name": "health",
          "type": "u8",
          "max": 100
        }
      ]
    }
  },
  "messages": [
    {
      "name": "input",
      "description": "client -> server, every client tick: the newest input and the previous ones for redundancy (inputs[0] has inputSequence, inputs[i] has inputSequence - i)",
      "reliable": false,
      "fields": [
        {
          "name": "inputSequence",
          "type": "u32",
          "role": "inputSequence"
        },
        {
          "name": "reportedRttMs",
          "type": "u16",
          "role": "reportedRtt",
          "unit": "ms",
          "max": 10000
        },
        {
          "name": "inputs",
          "type": "array",
          "count": {
            "prefix": "u8"
          },
          "maxCount": 16,
          "role": "inputCount",
          "of": {
            "type": "ref",
            "ref": "inputFrame"
          }
        }
      ]
    },
    {
      "name": "snapshot",
      "description": "server -> client, every snapshot tick: the state of the entities relevant to this client",
      "reliable": false,
      "fields": [
        {
          "name": "tick",
          "type": "u32",
          "role": "tick"
        },
        {
          "name": "lastProcessedInputSequence",
          "type": "u32"
        },
        {
          "name": "entities",
          "type": "array",
          "count": {
            "prefix": "u8"
          },
          "maxCount": 128,
          "of": {
            "type": "ref",
            "ref": "entityState"
          }
        }
      ]
    },
    {
      "name": "spawn",
      "description": "reliable event: an entity (player) spawns",
      "reliable": true,
      "fields": [
        {
          "name": "eventId",
          "type": "u16"
        },
        {
          "name": "resendCount",
          "type": "u8",
          "role": "resendCount"
        },
        {
          "name": "tick",
          "type": "u32",
          "role": "tick"
        },
        {
          "name": "entityId",
          "type": "u16",
          "role": "entityId"
        },
        {
          "name": "playerId",
          "type": "u16",
          "role": "playerId"
        },
        {
          "name": "x",
          "type": "quantized",
          "min": -2048,
          "max": 2048,
          "bits": 20,
          "role": "position.x"
        },
        {
          "name": "y",
          "type": "quantized",
          "min": -2048,
          "max": 2048,
          "bits": 20,
          "role": "position.y"
        },
        {
          "name": "z",
          "type": "quantized",
          "min": -2048,
          "max": 2048,
          "bits": 20,
          "role": "position.z"
        }
      ]
    },
    {
      "name": "death",
      "description": "reliable event: a player was killed",
      "reliable": true,
      "fields": [
        {
          "name": "eventId",
          "type": "u16"
        },
        {
          "name": "resendCount",
          "type": "u8",
          "role": "resendCount"
        },
        {
          "name": "tick",
          "type": "u32",
          "role": "tick"
        },
        {
          "name": "victimPlayerId",
          "type": "u16",
          "role": "playerId"
        },
        {
          "name": "killerPlayerId",
          "type": "u16"
        },
        {
          "name": "weapon",
          "type": "u8",
          "enum": [
            0,
            1,
            2,
            3,
            4
          ]
        }
      ]
    },
    {
      "name": "chat",
      "description": "reliable event: a chat line",
      "reliable": true,
      "fields": [
        {
          "name": "eventId",
          "type": "u16"
        },
        {
          "name": "resendCount",
          "type": "u8",
          "role": "resendCount"
        },
        {
          "name": "playerId",
          "type": "u16",
          "role": "playerId"
        },
        {
          "name": "text",
          "type": "string",
          "encoding": "utf8",
          "length": {
            "prefix": "u8"
          },
          "maxLength": 200
        }
      ]
    },
    {
      "name": "ping",
      "description": "either side asks for an echo; the datagram header's sendTimeUs is the request time",
      "reliable": false,
      "fields": [
        {
          "name": "pingId",
          "type": "u32",
          "role": "echoId",
          "echoPhase": "request"
        }
      ]
    },
    {
      "name": "pong",
      "description": "answer to a ping with the same pingId; processingUs = time the answering side held the ping",
      "reliable": false,
      "fields": [
        {
          "name": "pingId",
          "type": "u32",
          "role": "echoId",
          "echoPhase": "reply"
        },
        {
          "name": "processingUs",
          "type": "u32"
        }
      ]
    },
    {
      "name": "shot",
      "description": "client -> server: a shot, with the time the client saw the world at (lag compensation asks the server to rewind to targetTimeUs)",
      "reliable": false,
      "fields": [
        {
          "name": "shotId",
          "type": "u16"
        },
        {
          "name": "weapon",
          "type": "u8",
          "enum": [
            0,
            1,
            2,
            3,
            4
          ]
        },
        {
          "name": "targetTimeUs",
          "type": "uint",
          "bits": 48,
          "role": "targetTime",
          "unit": "us"
        },
        {
          "name": "x",
          "type": "quantized",
          "min": -2048,
          "max": 2048,
          "bits": 20,
          "role": "position.x"
        },
        {
          "name": "y",
          "type": "quantized",
          "min": -2048,
          "max": 2048,
          "bits": 20,
          "role": "position.y"
        },
        {
          "name": "z",
          "type": "quantized",
          "min": -2048,
          "max": 2048,
          "bits": 20,
          "role": "position.z"
        },
        {
          "name": "aimYaw",
          "type": "quantized",
          "min": 0,
          "max": 6.283185307179586,
          "bits": 16,
          "role": "rotation"
        },
        {
          "name": "aimPitch",
          "type": "quantized",
          "min": -1.5707963267948966,
          "max": 1.5707963267948966,
          "bits": 16
        }
      ]
    },
    {
      "name": "stateReset",
      "description": "reliable event: server tells the client to drop its predicted state and resync from the given tick",
      "reliable": true,
      "fields": [
        {
          "name": "eventId",
          "type": "u16"
        },
        {
          "name": "resendCount",
          "type": "u8",
          "role": "resendCount"
        },
        {
          "name": "tick",
          "type": "u32",
          "role": "tick"
        },
        {
          "name": "reason",
          "type": "u8",
          "enum": [
            0,
            1,
            2
          ]
        }
      ]
    }
  ]
};
