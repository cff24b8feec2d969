// THIS FILE IS GENERATED - DO NOT EDIT. Written by scripts/embed-fixtures.mjs
// from packages/connector-ghl/test/fixtures and packages/connector-xero/test/fixtures
// (documented provider examples, verbatim; sources in those folders' README.md).
// test/trigger-fixtures.test.ts fails when this copy drifts from them.

export interface TriggerFixture {
  /** The event name `act trigger` takes. */
  event: string;
  /** The connector's fixture file it was copied from. */
  file: string;
  /** The documented body, byte for byte. */
  body: string;
}

export const TRIGGER_FIXTURES: Readonly<Record<'ghl' | 'xero', readonly TriggerFixture[]>> = {
  ghl: [
    {
      event: 'ContactCreate',
      file: 'contact-create.1.json',
      body: '{\n  "type": "ContactCreate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
    },
    {
      event: 'ContactUpdate',
      file: 'contact-update.1.json',
      body: '{\n  "type": "ContactUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
    },
    {
      event: 'ContactDelete',
      file: 'contact-delete.1.json',
      body: '{\n  "type": "ContactDelete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
    },
    {
      event: 'ContactTagUpdate',
      file: 'contact-tag-update.1.json',
      body: '{\n  "type": "ContactTagUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
    },
    {
      event: 'ContactDndUpdate',
      file: 'contact-dnd-update.1.json',
      body: '{\n  "type": "ContactDndUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "dndSettings": {\n    "SMS": {\n      "status": "inactive",\n      "message": "Some message",\n      "code": "101"\n    },\n    "Call": {\n      "status": "inactive",\n      "message": "Some message",\n      "code": "101"\n    },\n    "Email": {\n      "status": "active",\n      "message": "Some message",\n      "code": "101"\n    },\n    "GMB": {\n      "status": "active",\n      "message": "Some message",\n      "code": "101"\n    },\n    "FB": {\n      "status": "active",\n      "message": "Some message",\n      "code": "101"\n    },\n    "WhatsApp": {\n      "status": "active",\n      "message": "Some message",\n      "code": "101"\n    }\n  },\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
    },
    {
      event: 'OpportunityCreate',
      file: 'opportunity-create.1.json',
      body: '{\n  "type": "OpportunityCreate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'OpportunityUpdate',
      file: 'opportunity-update.1.json',
      body: '{\n  "type": "OpportunityUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'OpportunityDelete',
      file: 'opportunity-delete.1.json',
      body: '{\n  "type": "OpportunityDelete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'OpportunityStatusUpdate',
      file: 'opportunity-status-update.1.json',
      body: '{\n  "type": "OpportunityStatusUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'OpportunityStageUpdate',
      file: 'opportunity-stage-update.1.json',
      body: '{\n  "type": "OpportunityStageUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'OpportunityMonetaryValueUpdate',
      file: 'opportunity-monetary-value-update.1.json',
      body: '{\n  "type": "OpportunityMonetaryValueUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'OpportunityAssignedToUpdate',
      file: 'opportunity-assigned-to-update.1.json',
      body: '{\n  "type": "OpportunityAssignedToUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'AppointmentCreate',
      file: 'appointment-create.1.json',
      body: '{\n  "type": "AppointmentCreate",\n  "locationId": "0007BWpSzSwfiuSl0tR2",\n  "appointment": {\n    "id": "0007BWpSzSwfiuSl0tR2",\n    "address": "https://example.com/meeting",\n    "title": "Appointment with GHL Dev team",\n    "calendarId": "BqTwX8QFwXzpegMve9EQ",\n    "contactId": "9NkT25Vor1v4aQatFsv2",\n    "groupId": "9NkT25Vor1v4aQatFsv2",\n    "appointmentStatus": "confirmed",\n    "assignedUserId": "YlWd2wuCAZQzh2cH1fVZ",\n    "users": [\n      "YlWd2wuCAZQzh2cH1fVZ",\n      "9NkT25Vor1v4aQatFsv2"\n    ],\n    "notes": "Some dummy note",\n    "source": "booking_widget",\n    "startTime": "2023-09-25T16:00:00+05:30",\n    "endTime": "2023-09-25T16:00:00+05:30",\n    "dateAdded": "2023-09-25T16:00:00+05:30",\n    "dateUpdated": "2023-09-25T16:00:00+05:30"\n  }\n}\n',
    },
    {
      event: 'AppointmentUpdate',
      file: 'appointment-update.1.json',
      body: '{\n  "type": "AppointmentCreate",\n  "locationId": "0007BWpSzSwfiuSl0tR2",\n  "appointment": {\n    "id": "0007BWpSzSwfiuSl0tR2",\n    "address": "https://example.com/meeting",\n    "title": "Appointment with GHL Dev team",\n    "calendarId": "BqTwX8QFwXzpegMve9EQ",\n    "contactId": "9NkT25Vor1v4aQatFsv2",\n    "groupId": "9NkT25Vor1v4aQatFsv2",\n    "appointmentStatus": "confirmed",\n    "assignedUserId": "YlWd2wuCAZQzh2cH1fVZ",\n    "users": [\n      "YlWd2wuCAZQzh2cH1fVZ",\n      "9NkT25Vor1v4aQatFsv2"\n    ],\n    "notes": "Some dummy note",\n    "source": "booking_widget",\n    "startTime": "2023-09-25T16:00:00+05:30",\n    "endTime": "2023-09-25T16:00:00+05:30",\n    "dateAdded": "2023-09-25T16:00:00+05:30",\n    "dateUpdated": "2023-09-25T16:00:00+05:30"\n  }\n}\n',
    },
    {
      event: 'AppointmentDelete',
      file: 'appointment-delete.1.json',
      body: '{\n  "type": "AppointmentCreate",\n  "locationId": "0007BWpSzSwfiuSl0tR2",\n  "appointment": {\n    "id": "0007BWpSzSwfiuSl0tR2",\n    "address": "https://example.com/meeting",\n    "title": "Appointment with GHL Dev team",\n    "calendarId": "BqTwX8QFwXzpegMve9EQ",\n    "contactId": "9NkT25Vor1v4aQatFsv2",\n    "groupId": "9NkT25Vor1v4aQatFsv2",\n    "appointmentStatus": "confirmed",\n    "assignedUserId": "YlWd2wuCAZQzh2cH1fVZ",\n    "users": [\n      "YlWd2wuCAZQzh2cH1fVZ",\n      "9NkT25Vor1v4aQatFsv2"\n    ],\n    "notes": "Some dummy note",\n    "source": "booking_widget",\n    "startTime": "2023-09-25T16:00:00+05:30",\n    "endTime": "2023-09-25T16:00:00+05:30",\n    "dateAdded": "2023-09-25T16:00:00+05:30",\n    "dateUpdated": "2023-09-25T16:00:00+05:30"\n  }\n}\n',
    },
    {
      event: 'TaskCreate',
      file: 'task-create.1.json',
      body: '{\n  "type": "TaskCreate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "UlRWGLSXh0ji5qbiGu4i",\n  "assignedTo": "63e4qiWDsFJjOYAC8phG",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "title": "Loram ipsum",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dueDate": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'TaskComplete',
      file: 'task-complete.1.json',
      body: '{\n  "type": "TaskComplete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "5HrB1IbmnKMBXloldFuP",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "body": "testing",\n  "contactId": "WFwVrSSjZ2CNHbZThQX2",\n  "dateAdded": "2021-11-29T13:37:28.304Z",\n  "dueDate": "2021-12-22T06:55:00.000Z",\n  "title": "test"\n}\n',
    },
    {
      event: 'TaskDelete',
      file: 'task-delete.1.json',
      body: '{\n  "type": "TaskDelete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "UlRWGLSXh0ji5qbiGu4i",\n  "assignedTo": "63e4qiWDsFJjOYAC8phG",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "title": "Loram ipsum",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dueDate": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'NoteCreate',
      file: 'note-create.1.json',
      body: '{\n  "type": "NoteCreate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "otg8dTQqGLh3Q6iQI55w",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'NoteUpdate',
      file: 'note-update.1.json',
      body: '{\n  "type": "NoteUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "otg8dTQqGLh3Q6iQI55w",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'NoteDelete',
      file: 'note-delete.1.json',
      body: '{\n  "type": "NoteDelete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "otg8dTQqGLh3Q6iQI55w",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
    },
    {
      event: 'INSTALL',
      file: 'app-install.1.json',
      body: '{\n  "type": "INSTALL",\n  "appId": "ve9EPM428h8vShlRW1KT",\n  "locationId": "otg8dTQqGLh3Q6iQI55w",\n  "companyId": "otg8dTQqGLh3Q6iQI55w",\n  "userId": "otg8dTQqGLh3Q6iQI55w",\n  "planId": "66a0419a0dffa47fb5f8b22f",\n  "trial": {\n    "onTrial": true,\n    "trialDuration": 10,\n    "trialStartDate": "2024-07-23T23:54:51.264Z"\n  },\n  "isWhitelabelCompany": false,\n  "whitelabelDetails": {},\n  "companyName": "Example Company"\n}\n',
    },
    {
      event: 'UNINSTALL',
      file: 'app-uninstall.1.json',
      body: '{\n  "type": "UNINSTALL",\n  "appId": "ve9EPM428h8vShlRW1KT",\n  "locationId": "otg8dTQqGLh3Q6iQI55w"\n}\n',
    },
    {
      event: 'InboundMessage',
      file: 'inbound-message.1.json',
      body: '{\n  "type": "InboundMessage",\n  "locationId": "l1C08ntBrFjLS0elLIYU",\n  "attachments": [],\n  "body": "This is a test message",\n  "contactId": "cI08i1Bls3iTB9bKgFJh",\n  "contentType": "text/plain",\n  "conversationId": "fcanlLgpbQgQhderivVs",\n  "dateAdded": "2021-04-21T11:31:45.750Z",\n  "direction": "inbound",\n  "messageType": "SMS",\n  "status": "delivered",\n  "conversationProviderId": "cI08i1Bls3iTB9bKgF01"\n}\n',
    },
    {
      event: 'InvoiceCreate',
      file: 'invoice-create.1.json',
      body: '{\n  "_id": "6578278e879ad2646715ba9c",\n  "status": "draft",\n  "liveMode": false,\n  "amountPaid": 0,\n  "altId": "6578278e879ad2646715ba9c",\n  "altType": "location",\n  "name": "New Invoice",\n  "businessDetails": {\n    "name": "ABC Corp.",\n    "address": "9931 Beechwood, TX",\n    "phoneNo": "+1-214-559-6993",\n    "website": "wwww.example.com",\n    "logoUrl": "https://example.com/logo.png",\n    "customValues": ["string"]\n  },\n  "invoiceNumber": "19",\n  "currency": "USD",\n  "contactDetails": {\n    "id": "6578278e879ad2646715ba9c",\n    "phoneNo": "+1-214-559-6993",\n    "email": "alex@example.com",\n    "customFields": ["string"],\n    "name": "Alex",\n    "address": {\n      "countryCode": "US",\n      "addressLine1": "9931 Beechwood",\n      "addressLine2": "Beechwood",\n      "city": "St. Houston",\n      "state": "TX",\n      "postalCode": "559-6993"\n    },\n    "additionalEmails": [\n      {\n        "email": "alex@example.com"\n      }\n    ],\n    "companyName": "ABC Corp."\n  },\n  "issueDate": "2023-01-01",\n  "dueDate": "2023-01-01",\n  "discount": {\n    "type": "percentage",\n    "value": 10\n  },\n  "invoiceItems": [\n    {\n      "taxes": [],\n      "_id": "c6tZZU0rJBf30ZXx9Gli",\n      "productId": "c6tZZU0rJBf30ZXx9Gli",\n      "priceId": "c6tZZU0rJBf30ZXx9Gli",\n      "currency": "USD",\n      "name": "Macbook Pro",\n      "qty": 1,\n      "amount": 999\n    }\n  ],\n  "total": 999,\n  "title": "INVOICE",\n  "amountDue": 999,\n  "createdAt": "2023-12-12T09:27:42.355Z",\n  "updatedAt": "2023-12-12T09:27:42.355Z",\n  "totalSummary": {\n    "subTotal": 999,\n    "discount": 0\n  }\n}\n',
    },
  ],
  xero: [
    {
      event: 'intent-to-receive',
      file: 'intent-to-receive.1.json',
      body: '{"events":[],"firstEventSequence": 0,"lastEventSequence": 0, "entropy": "LUWDSUDGSWNZVALZXBEV"}',
    },
    {
      event: 'CONTACT.UPDATE',
      file: 'contact-update.1.json',
      body: '{\n  "events": [\n    {\n      "resourceUrl": "https://api.xero.com/api.xro/2.0/Contacts/717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",\n      "resourceId": "717f2bfc-c6d4-41fd-b238-3f2f0c0cf777",\n      "eventDateUtc": "2024-06-21T01:15:39.902",\n      "eventType": "UPDATE",\n      "eventCategory": "CONTACT",\n      "tenantId": "c2cc9b6e-9458-4c7d-93cc-f02b81b0594f",\n      "tenantType": "ORGANISATION"\n    }\n  ],\n  "lastEventSequence": 1,\n  "firstEventSequence": 1,\n  "entropy": "S0m3r4Nd0mt3xt"\n}\n',
    },
    {
      event: 'INVOICE.UPDATE',
      file: 'invoice-update.1.json',
      body: '{"events":[{"resourceUrl":"https://api.xero.com/api.xro/2.0/Invoices/44aa0707-f718-4f1c-8d53-f2da9ca59533","resourceId":"44aa0707-f718-4f1c-8d53-f2da9ca59533","eventDateUtc":"2018-02-09T09:18:28.917Z","eventType":"UPDATE","eventCategory":"INVOICE","tenantId":"e629a03c-7ffe-4913-bd94-ff2fdb36a702","tenantType":"ORGANISATION"},{"resourceUrl":"https://api.xero.com/api.xro/2.0/Invoices/44aa0707-f718-4f1c-8d53-f2da9ca59533","resourceId":"44aa0707-f718-4f1c-8d53-f2da9ca59533","eventDateUtc":"2018-02-09T09:19:05.06Z","eventType":"UPDATE","eventCategory":"INVOICE","tenantId":"e629a03c-7ffe-4913-bd94-ff2fdb36a702","tenantType":"ORGANISATION"}],"firstEventSequence": 2,"lastEventSequence": 3, "entropy": "GATSEZXWIBPBRNQOTMOH"}',
    },
    {
      event: 'CREDITNOTE.CREATE',
      file: 'credit-note-create.1.json',
      body: '{\n  "events": [\n    {\n      "resourceUrl": "https://api.xero.com/api.xro/2.0/CreditNotes/55d84274-a3da-4829-a7c0-0cab601b95cc",\n      "resourceId": "55d84274-a3da-4829-a7c0-0cab601b95cc",\n      "tenantId": "aef86862-2015-4b6b-88bc-d89032cecc50",\n      "tenantType": "ORGANISATION",\n      "eventCategory": "CREDITNOTE",\n      "eventType": "CREATE",\n      "eventDateUtc": "2025-12-02T00:44:09.923",\n      "data": {\n        "Type": "ACCPAYCREDIT",\n        "Status": "DRAFT"\n      }\n    }\n  ],\n  "firstEventSequence": 76,\n  "lastEventSequence": 76,\n  "entropy": "FXNGWLCCGVANWHKILRUB"\n}\n',
    },
  ],
};
