// THIS FILE IS GENERATED - DO NOT EDIT. Written by tools/embed-fixtures.mjs from
// test/fixtures (documented provider examples, verbatim; sources in test/fixtures/README.md)
// and src/testing/sample-deliveries.json. The conventions test fails when it drifts.
import type { SampleDeliveryV1 } from '@act/core';

/** Every documented fixture, by file name, byte for byte. */
export const FIXTURES: Readonly<Record<string, string>> = {
  'api-calendar-events.1.json':
    '{\n  "events": [\n    {\n      "id": "ocQHyuzHvysMo5N5VsXc",\n      "address": "https://meet.google.com/yqp-gogr-wve",\n      "title": "Appointment with GHL Dev team",\n      "calendarId": "BqTwX8QFwXzpegMve9EQ",\n      "locationId": "0007BWpSzSwfiuSl0tR2",\n      "contactId": "9NkT25Vor1v4aQatFsv2",\n      "groupId": "9NkT25Vor1v4aQatFsv2",\n      "appointmentStatus": "confirmed",\n      "assignedUserId": "YlWd2wuCAZQzh2cH1fVZ",\n      "users": [\n        "YlWd2wuCAZQzh2cH1fVZ",\n        "9NkT25Vor1v4aQatFsv2"\n      ],\n      "notes": "Some dummy note",\n      "description": "Some dummy description",\n      "isRecurring": "true",\n      "rrule": "RRULE:FREQ=DAILY;INTERVAL=1;COUNT=5",\n      "startTime": "2023-09-25T16:00:00+05:30",\n      "endTime": "2023-09-25T16:00:00+05:30",\n      "dateAdded": "2023-09-25T16:00:00+05:30",\n      "dateUpdated": "2023-09-25T16:00:00+05:30",\n      "assignedResources": [],\n      "masterEventId": "ocWd2wuBGAQzh2cH1fSZ"\n    }\n  ]\n}\n',
  'api-calendars.1.json':
    '{\n  "calendars": [\n    {\n      "notifications": [],\n      "locationId": "ocQHyuzHvysMo5N5VsXc",\n      "groupId": "BqTwX8QFwXzpegMve9EQ",\n      "teamMembers": [],\n      "name": "test calendar",\n      "description": "this is used for testing",\n      "slug": "test1",\n      "widgetSlug": "test1",\n      "widgetType": "classic",\n      "locationConfigurations": [],\n      "allowBookingAfterUnit": "days",\n      "allowBookingForUnit": "days",\n      "openHours": [],\n      "availabilities": [],\n      "calendarCoverImage": "https://path-to-image.com",\n      "id": "0TkCdp9PfvLeWKYRRvIz"\n    }\n  ]\n}\n',
  'api-contact-get.1.json':
    '{\n  "contact": {\n    "id": "seD4PfOuKoVMLkEZqohJ",\n    "name": "rubika deo",\n    "locationId": "ve9EPM428h8vShlRW1KT",\n    "firstName": "rubika",\n    "lastName": "Deo",\n    "email": "rubika@deos.com",\n    "emailLowerCase": "rubika@deos.com",\n    "timezone": "Asia/Calcutta",\n    "companyName": "DGS VolMAX",\n    "phone": "+18832327657",\n    "dnd": true,\n    "dndSettings": {},\n    "type": "read",\n    "source": "public api",\n    "assignedTo": "ve9EPM428h8vShlRW1KT",\n    "address1": "3535 1st St N",\n    "city": "ruDolomitebika",\n    "state": "AL",\n    "country": "US",\n    "postalCode": "35061",\n    "website": "https://www.tesla.com",\n    "tags": [\n      "nisi sint commodo amet",\n      "consequat"\n    ],\n    "dateOfBirth": "Date format YYYY-MM-DD",\n    "dateAdded": "2021-07-02T05:18:26.704Z",\n    "dateUpdated": "2021-07-02T05:18:26.704Z",\n    "keyword": "test",\n    "firstNameLowerCase": "rubika",\n    "fullNameLowerCase": "rubika deo",\n    "lastNameLowerCase": "deo",\n    "lastActivity": "2021-07-16T11:39:30.564Z",\n    "customFields": [],\n    "businessId": "641c094001436dbc2081e642",\n    "attributionSource": {},\n    "lastAttributionSource": {},\n    "visitorId": "ve9EPM428h8vShlRW1KT"\n  }\n}\n',
  'api-contact-search.1.json':
    '{\n  "contacts": [\n    {\n      "id": "ocQHyuzHvysMo5N5VsXc",\n      "locationId": "C2QujeCh8ZnC7al2InWR",\n      "email": "JohnDeo@gmail.com",\n      "timezone": "Asia/Calcutta",\n      "country": "DE",\n      "source": "xyz form",\n      "dateAdded": "2020-10-29T09:31:30.255Z",\n      "customFields": [\n        {\n          "id": "MgobCB14YMVKuE4Ka8p1",\n          "value": "name"\n        }\n      ],\n      "tags": [\n        "nisi sint commodo amet",\n        "consequat"\n      ],\n      "businessId": "641c094001436dbc2081e642",\n      "attributions": [\n        {\n          "url": "Trigger Link",\n          "referrer": "https: //www.google.com",\n          "gclid": "CjOKCQjwnNyUBhCZARISAI9AYIFtNnIcWcYGIOQINz_ZoFI5SSLRRugSoPZoiEu27IZBY£1-MAIWmEaAo2VEALW_WCB",\n          "fbp": "fb. 1.1674748390986.1171287961",\n          "fbEventId": "Mozilla/5.0",\n          "userAgent": "Mozilla/5.0",\n          "ip": "58.111.106.198",\n          "medium": "survey",\n          "mediumId": "FglfHAn30PRwsZVyQlKp"\n        }\n      ],\n      "followers": "641c094001436dbc2081e642"\n    }\n  ],\n  "count": 1\n}\n',
  'api-contact-upsert.1.json':
    '{\n  "new": true,\n  "contact": {\n    "id": "seD4PfOuKoVMLkEZqohJ",\n    "name": "rubika deo",\n    "locationId": "ve9EPM428h8vShlRW1KT",\n    "firstName": "rubika",\n    "lastName": "Deo",\n    "email": "rubika@deos.com",\n    "emailLowerCase": "rubika@deos.com",\n    "timezone": "Asia/Calcutta",\n    "companyName": "DGS VolMAX",\n    "phone": "+18832327657",\n    "dnd": true,\n    "dndSettings": {},\n    "type": "read",\n    "source": "public api",\n    "assignedTo": "ve9EPM428h8vShlRW1KT",\n    "address1": "3535 1st St N",\n    "city": "ruDolomitebika",\n    "state": "AL",\n    "country": "US",\n    "postalCode": "35061",\n    "website": "https://www.tesla.com",\n    "tags": [\n      "nisi sint commodo amet",\n      "consequat"\n    ],\n    "dateOfBirth": "Date format YYYY-MM-DD",\n    "dateAdded": "2021-07-02T05:18:26.704Z",\n    "dateUpdated": "2021-07-02T05:18:26.704Z",\n    "keyword": "test",\n    "firstNameLowerCase": "rubika",\n    "fullNameLowerCase": "rubika deo",\n    "lastNameLowerCase": "deo",\n    "lastActivity": "2021-07-16T11:39:30.564Z",\n    "customFields": [],\n    "businessId": "641c094001436dbc2081e642",\n    "attributionSource": {},\n    "lastAttributionSource": {},\n    "visitorId": "ve9EPM428h8vShlRW1KT"\n  }\n}\n',
  'api-error-401.1.json':
    '{\n  "statusCode": 401,\n  "message": "Invalid token: access token is invalid",\n  "error": "Unauthorized"\n}\n',
  'api-error-422.1.json':
    '{\n  "statusCode": 422,\n  "message": [\n    "Unprocessable Entity"\n  ],\n  "error": "Unprocessable Entity"\n}\n',
  'api-oauth-token.1.json':
    '{\n  "access_token": "ab12dc0ae1234a7898f9ff06d4f69gh",\n  "token_type": "Bearer",\n  "expires_in": 86399,\n  "refresh_token": "xy34dc0ae1234a4858f9ff06d4f66ba",\n  "scope": "conversations/message.readonly conversations/message.write",\n  "userType": "Location",\n  "locationId": "l1C08ntBrFjLS0elLIYU",\n  "companyId": "l1C08ntBrFjLS0elLIYU",\n  "approvedLocations": [\n    "l1C08ntBrFjLS0elLIYU"\n  ],\n  "userId": "l1C08ntBrFjLS0elLIYU",\n  "planId": "l1C08ntBrFjLS0elLIYU",\n  "isBulkInstallation": "Bearer",\n  "installToFutureLocations": true,\n  "approveAllLocations": true\n}\n',
  'api-opportunities-search.1.json':
    '{\n  "opportunities": [\n    {\n      "id": "yWQobCRIhRguQtD2llvk",\n      "name": "testing",\n      "monetaryValue": 500,\n      "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n      "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n      "assignedTo": "zT46WSCPbudrq4zhWMk6",\n      "status": "open",\n      "source": "",\n      "lastStatusChangeAt": "2021-08-03T04:55:17.355Z",\n      "lastStageChangeAt": "2021-08-03T04:55:17.355Z",\n      "lastActionDate": "2021-08-03T04:55:17.355Z",\n      "indexVersion": 1,\n      "createdAt": "2021-08-03T04:55:17.355Z",\n      "updatedAt": "2021-08-03T04:55:17.355Z",\n      "contactId": "zT46WSCPbudrq4zhWMk6",\n      "locationId": "zT46WSCPbudrq4zhW",\n      "notes": [],\n      "tasks": [],\n      "calendarEvents": [],\n      "lostReasonId": "zT46WSCPbudrq4zhWMk6",\n      "customFields": [],\n      "followers": []\n    }\n  ],\n  "meta": {\n    "total": 1,\n    "nextPageUrl": "http://localhost:5066/opportunities/search?q=&location_id=ve9EPM428h8vShlRW1KT&pipeline_id=&pipeline_stage_id=&status=&assigned_to+=&campaignId=&id=&order=&endDate=&startAfter=1625203104328&startAfterId=yWQobCRIhRguQtD2llvk&date=&limit=1&country=&page=1",\n    "startAfterId": "yWQobCRIhRguQtD2llvk",\n    "startAfter": 1625203104328,\n    "currentPage": 2,\n    "nextPage": 3,\n    "prevPage": 1\n  },\n  "aggregations": {}\n}\n',
  'api-pipelines.1.json':
    '{\n  "pipelines": [\n    {\n      "id": "aWdODOBVOlH1RUFKWQke",\n      "name": "new pipeline",\n      "stages": [],\n      "showInFunnel": false,\n      "showInPieChart": true,\n      "locationId": "dsjddjkndadqaja"\n    }\n  ]\n}\n',
  'app-install.1.json':
    '{\n  "type": "INSTALL",\n  "appId": "ve9EPM428h8vShlRW1KT",\n  "locationId": "otg8dTQqGLh3Q6iQI55w",\n  "companyId": "otg8dTQqGLh3Q6iQI55w",\n  "userId": "otg8dTQqGLh3Q6iQI55w",\n  "planId": "66a0419a0dffa47fb5f8b22f",\n  "trial": {\n    "onTrial": true,\n    "trialDuration": 10,\n    "trialStartDate": "2024-07-23T23:54:51.264Z"\n  },\n  "isWhitelabelCompany": false,\n  "whitelabelDetails": {},\n  "companyName": "Example Company"\n}\n',
  'app-install.2.json':
    '{\n  "type": "INSTALL",\n  "appId": "ve9EPM428h8vShlRW1KT",\n  "locationId": "otg8dTQqGLh3Q6iQI55w",\n  "companyId": "otg8dTQqGLh3Q6iQI55w",\n  "userId": "otg8dTQqGLh3Q6iQI55w",\n  "planId": "66a0419a0dffa47fb5f8b22f",\n  "trial": {\n    "onTrial": true,\n    "trialDuration": 10,\n    "trialStartDate": "2024-07-23T23:54:51.264Z"\n  },\n  "isWhitelabelCompany": true,\n  "whitelabelDetails": {\n    "domain": "example.com",\n    "logoUrl": "https://example.com/logo.png"\n  },\n  "companyName": "Example Company"\n}\n',
  'app-install.3.json':
    '{\n  "type": "INSTALL",\n  "appId": "ve9EPM428h8vShlRW1KT",\n  "companyId": "otg8dTQqGLh3Q6iQI55w",\n  "planId": "66a0419a0dffa47fb5f8b22f",\n  "trial": {\n    "onTrial": true,\n    "trialDuration": 10,\n    "trialStartDate": "2024-07-23T23:54:51.264Z"\n  }\n}\n',
  'app-uninstall.1.json':
    '{\n  "type": "UNINSTALL",\n  "appId": "ve9EPM428h8vShlRW1KT",\n  "locationId": "otg8dTQqGLh3Q6iQI55w"\n}\n',
  'app-uninstall.2.json':
    '{\n  "type": "UNINSTALL",\n  "appId": "ve9EPM428h8vShlRW1KT",\n  "companyId": "otg8dTQqGLh3Q6iQI55w"\n}\n',
  'appointment-create.1.json':
    '{\n  "type": "AppointmentCreate",\n  "locationId": "0007BWpSzSwfiuSl0tR2",\n  "appointment": {\n    "id": "0007BWpSzSwfiuSl0tR2",\n    "address": "https://example.com/meeting",\n    "title": "Appointment with GHL Dev team",\n    "calendarId": "BqTwX8QFwXzpegMve9EQ",\n    "contactId": "9NkT25Vor1v4aQatFsv2",\n    "groupId": "9NkT25Vor1v4aQatFsv2",\n    "appointmentStatus": "confirmed",\n    "assignedUserId": "YlWd2wuCAZQzh2cH1fVZ",\n    "users": [\n      "YlWd2wuCAZQzh2cH1fVZ",\n      "9NkT25Vor1v4aQatFsv2"\n    ],\n    "notes": "Some dummy note",\n    "source": "booking_widget",\n    "startTime": "2023-09-25T16:00:00+05:30",\n    "endTime": "2023-09-25T16:00:00+05:30",\n    "dateAdded": "2023-09-25T16:00:00+05:30",\n    "dateUpdated": "2023-09-25T16:00:00+05:30"\n  }\n}\n',
  'appointment-delete.1.json':
    '{\n  "type": "AppointmentCreate",\n  "locationId": "0007BWpSzSwfiuSl0tR2",\n  "appointment": {\n    "id": "0007BWpSzSwfiuSl0tR2",\n    "address": "https://example.com/meeting",\n    "title": "Appointment with GHL Dev team",\n    "calendarId": "BqTwX8QFwXzpegMve9EQ",\n    "contactId": "9NkT25Vor1v4aQatFsv2",\n    "groupId": "9NkT25Vor1v4aQatFsv2",\n    "appointmentStatus": "confirmed",\n    "assignedUserId": "YlWd2wuCAZQzh2cH1fVZ",\n    "users": [\n      "YlWd2wuCAZQzh2cH1fVZ",\n      "9NkT25Vor1v4aQatFsv2"\n    ],\n    "notes": "Some dummy note",\n    "source": "booking_widget",\n    "startTime": "2023-09-25T16:00:00+05:30",\n    "endTime": "2023-09-25T16:00:00+05:30",\n    "dateAdded": "2023-09-25T16:00:00+05:30",\n    "dateUpdated": "2023-09-25T16:00:00+05:30"\n  }\n}\n',
  'appointment-update.1.json':
    '{\n  "type": "AppointmentCreate",\n  "locationId": "0007BWpSzSwfiuSl0tR2",\n  "appointment": {\n    "id": "0007BWpSzSwfiuSl0tR2",\n    "address": "https://example.com/meeting",\n    "title": "Appointment with GHL Dev team",\n    "calendarId": "BqTwX8QFwXzpegMve9EQ",\n    "contactId": "9NkT25Vor1v4aQatFsv2",\n    "groupId": "9NkT25Vor1v4aQatFsv2",\n    "appointmentStatus": "confirmed",\n    "assignedUserId": "YlWd2wuCAZQzh2cH1fVZ",\n    "users": [\n      "YlWd2wuCAZQzh2cH1fVZ",\n      "9NkT25Vor1v4aQatFsv2"\n    ],\n    "notes": "Some dummy note",\n    "source": "booking_widget",\n    "startTime": "2023-09-25T16:00:00+05:30",\n    "endTime": "2023-09-25T16:00:00+05:30",\n    "dateAdded": "2023-09-25T16:00:00+05:30",\n    "dateUpdated": "2023-09-25T16:00:00+05:30"\n  }\n}\n',
  'contact-create.1.json':
    '{\n  "type": "ContactCreate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
  'contact-delete.1.json':
    '{\n  "type": "ContactDelete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
  'contact-dnd-update.1.json':
    '{\n  "type": "ContactDndUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "dndSettings": {\n    "SMS": {\n      "status": "inactive",\n      "message": "Some message",\n      "code": "101"\n    },\n    "Call": {\n      "status": "inactive",\n      "message": "Some message",\n      "code": "101"\n    },\n    "Email": {\n      "status": "active",\n      "message": "Some message",\n      "code": "101"\n    },\n    "GMB": {\n      "status": "active",\n      "message": "Some message",\n      "code": "101"\n    },\n    "FB": {\n      "status": "active",\n      "message": "Some message",\n      "code": "101"\n    },\n    "WhatsApp": {\n      "status": "active",\n      "message": "Some message",\n      "code": "101"\n    }\n  },\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
  'contact-tag-update.1.json':
    '{\n  "type": "ContactTagUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
  'contact-update.1.json':
    '{\n  "type": "ContactUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "nmFmQEsNgz6AVpgLVUJ0",\n  "address1": "3535 1st St N",\n  "city": "ruDolomitebika",\n  "state": "AL",\n  "companyName": "Loram ipsum",\n  "country": "DE",\n  "source": "xyz form",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dateOfBirth": "2000-01-05T00:00:00.000Z",\n  "dnd": true,\n  "email": "JohnDeo@gmail.comm",\n  "name": "John Deo",\n  "firstName": "John",\n  "lastName": "Deo",\n  "phone": "+919509597501",\n  "postalCode": "452001",\n  "tags": ["id magna sed Lorem", "Duis dolor commodo aliqua"],\n  "website": "https://www.google.com/",\n  "attachments": [],\n  "assignedTo": "nmFmQEsNgz6AVpgLVUJ0",\n  "customFields": [\n    {\n      "id": "BcdmQEsNgz6AVpgLVUJ0",\n      "value": "XYZ Corp"\n    }\n  ]\n}\n',
  'inbound-message.1.json':
    '{\n  "type": "InboundMessage",\n  "locationId": "l1C08ntBrFjLS0elLIYU",\n  "attachments": [],\n  "body": "This is a test message",\n  "contactId": "cI08i1Bls3iTB9bKgFJh",\n  "contentType": "text/plain",\n  "conversationId": "fcanlLgpbQgQhderivVs",\n  "dateAdded": "2021-04-21T11:31:45.750Z",\n  "direction": "inbound",\n  "messageType": "SMS",\n  "status": "delivered",\n  "conversationProviderId": "cI08i1Bls3iTB9bKgF01"\n}\n',
  'inbound-message.2.json':
    '{\n  "type": "InboundMessage",\n  "locationId": "kF4NJ5gzRyQF2gKFD34G",\n  "body": "<div style=\\"font-family: verdana, geneva; font-size: 11pt;\\">Testing Email Notification</div>",\n  "contactId": "3bN9f8LYJFG8F232XMUbfq",\n  "conversationId": "yCdNo6pwyTLYKgg6V2gj",\n  "dateAdded": "2024-01-12T12:59:04.045Z",\n  "direction": "inbound",\n  "messageType": "Email",\n  "emailMessageId": "sddfDSF3G56GHG",\n  "from": "Internal Notify <sample@email.service>",\n  "threadId": "sddfDSF3G56GHG",\n  "subject": "Order Confirmed",\n  "to": ["testprasath95@gmail.com"],\n  "conversationProviderId": "cI08i1Bls3iTB9bKgF01"\n}\n',
  'invoice-create.1.json':
    '{\n  "_id": "6578278e879ad2646715ba9c",\n  "status": "draft",\n  "liveMode": false,\n  "amountPaid": 0,\n  "altId": "6578278e879ad2646715ba9c",\n  "altType": "location",\n  "name": "New Invoice",\n  "businessDetails": {\n    "name": "ABC Corp.",\n    "address": "9931 Beechwood, TX",\n    "phoneNo": "+1-214-559-6993",\n    "website": "wwww.example.com",\n    "logoUrl": "https://example.com/logo.png",\n    "customValues": ["string"]\n  },\n  "invoiceNumber": "19",\n  "currency": "USD",\n  "contactDetails": {\n    "id": "6578278e879ad2646715ba9c",\n    "phoneNo": "+1-214-559-6993",\n    "email": "alex@example.com",\n    "customFields": ["string"],\n    "name": "Alex",\n    "address": {\n      "countryCode": "US",\n      "addressLine1": "9931 Beechwood",\n      "addressLine2": "Beechwood",\n      "city": "St. Houston",\n      "state": "TX",\n      "postalCode": "559-6993"\n    },\n    "additionalEmails": [\n      {\n        "email": "alex@example.com"\n      }\n    ],\n    "companyName": "ABC Corp."\n  },\n  "issueDate": "2023-01-01",\n  "dueDate": "2023-01-01",\n  "discount": {\n    "type": "percentage",\n    "value": 10\n  },\n  "invoiceItems": [\n    {\n      "taxes": [],\n      "_id": "c6tZZU0rJBf30ZXx9Gli",\n      "productId": "c6tZZU0rJBf30ZXx9Gli",\n      "priceId": "c6tZZU0rJBf30ZXx9Gli",\n      "currency": "USD",\n      "name": "Macbook Pro",\n      "qty": 1,\n      "amount": 999\n    }\n  ],\n  "total": 999,\n  "title": "INVOICE",\n  "amountDue": 999,\n  "createdAt": "2023-12-12T09:27:42.355Z",\n  "updatedAt": "2023-12-12T09:27:42.355Z",\n  "totalSummary": {\n    "subTotal": 999,\n    "discount": 0\n  }\n}\n',
  'note-create.1.json':
    '{\n  "type": "NoteCreate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "otg8dTQqGLh3Q6iQI55w",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'note-delete.1.json':
    '{\n  "type": "NoteDelete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "otg8dTQqGLh3Q6iQI55w",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'note-update.1.json':
    '{\n  "type": "NoteUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "otg8dTQqGLh3Q6iQI55w",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'opportunity-assigned-to-update.1.json':
    '{\n  "type": "OpportunityAssignedToUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'opportunity-create.1.json':
    '{\n  "type": "OpportunityCreate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'opportunity-delete.1.json':
    '{\n  "type": "OpportunityDelete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'opportunity-monetary-value-update.1.json':
    '{\n  "type": "OpportunityMonetaryValueUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'opportunity-stage-update.1.json':
    '{\n  "type": "OpportunityStageUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'opportunity-status-update.1.json':
    '{\n  "type": "OpportunityStatusUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'opportunity-update.1.json':
    '{\n  "type": "OpportunityUpdate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "wWhVuzqpRuOA1ZVWi4FC",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "contactId": "cJAWDskpkJHbRbhAT7bs",\n  "monetaryValue": 40,\n  "name": "Loram ipsu",\n  "pipelineId": "VDm7RPYC2GLUvdpKmBfC",\n  "pipelineStageId": "e93ba61a-53b3-45e7-985a-c7732dbcdb69",\n  "source": "Loram ipsu",\n  "status": "open",\n  "dateAdded": "2021-11-26T12:41:02.193Z"\n}\n',
  'task-complete.1.json':
    '{\n  "type": "TaskComplete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "5HrB1IbmnKMBXloldFuP",\n  "assignedTo": "bNl8QNGXhIQJLv8eeASQ",\n  "body": "testing",\n  "contactId": "WFwVrSSjZ2CNHbZThQX2",\n  "dateAdded": "2021-11-29T13:37:28.304Z",\n  "dueDate": "2021-12-22T06:55:00.000Z",\n  "title": "test"\n}\n',
  'task-create.1.json':
    '{\n  "type": "TaskCreate",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "UlRWGLSXh0ji5qbiGu4i",\n  "assignedTo": "63e4qiWDsFJjOYAC8phG",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "title": "Loram ipsum",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dueDate": "2021-11-26T12:41:02.193Z"\n}\n',
  'task-delete.1.json':
    '{\n  "type": "TaskDelete",\n  "locationId": "ve9EPM428h8vShlRW1KT",\n  "id": "UlRWGLSXh0ji5qbiGu4i",\n  "assignedTo": "63e4qiWDsFJjOYAC8phG",\n  "body": "Loram ipsum",\n  "contactId": "CWBf1PR9LvvBkcYqiXlc",\n  "title": "Loram ipsum",\n  "dateAdded": "2021-11-26T12:41:02.193Z",\n  "dueDate": "2021-11-26T12:41:02.193Z"\n}\n',
  'workflow-webhook.1.json':
    '{\n  "contact_id": "<contactId>",\n  "first_name": "<first>",\n  "last_name": "<last>",\n  "full_name": "<full name>",\n  "email": "<email>",\n  "phone": "<E.164>",\n  "tags": "tag1,tag2,won",\n  "address1": "<street>",\n  "city": "<city>",\n  "state": "<state>",\n  "country": "US",\n  "date_created": "2025-01-06T16:51:42.192Z",\n  "postal_code": "<zip>",\n  "contact_source": "payment_link",\n  "full_address": "<address>",\n  "contact_type": "customer",\n  "location": { "name": "<biz>", "address": "<addr>", "city": "<city>", "state": "TX", "country": "US", "postalCode": "<zip>", "fullAddress": "<addr>", "id": "<locationId>" },\n  "user": { "firstName": "<u>", "lastName": "<u>", "email": "<u>", "phone": "<u>" },\n  "workflow": { "id": "<workflow uuid>", "name": "Link Payment Paid In Full" },\n  "payment": { "transaction_id": "…", "payment_status": "succeeded", "total_amount": 832, "currency_code": "USD", "…": "…" },\n  "triggerData": {},\n  "contact": { "attributionSource": { "sessionSource": "CRM UI", "medium": "csv_import", "mediumId": "null" }, "lastAttributionSource": { "…": "…" } },\n  "attributionSource": {},\n  "customData": {}\n}\n',
};

/** The documented webhook deliveries, by the event name tools take. */
export const SAMPLE_DELIVERIES: readonly SampleDeliveryV1[] = [
  { event: 'ContactCreate', file: 'contact-create.1.json', body: FIXTURES['contact-create.1.json'] as string },
  { event: 'ContactUpdate', file: 'contact-update.1.json', body: FIXTURES['contact-update.1.json'] as string },
  { event: 'ContactDelete', file: 'contact-delete.1.json', body: FIXTURES['contact-delete.1.json'] as string },
  {
    event: 'ContactTagUpdate',
    file: 'contact-tag-update.1.json',
    body: FIXTURES['contact-tag-update.1.json'] as string,
  },
  {
    event: 'ContactDndUpdate',
    file: 'contact-dnd-update.1.json',
    body: FIXTURES['contact-dnd-update.1.json'] as string,
  },
  {
    event: 'OpportunityCreate',
    file: 'opportunity-create.1.json',
    body: FIXTURES['opportunity-create.1.json'] as string,
  },
  {
    event: 'OpportunityUpdate',
    file: 'opportunity-update.1.json',
    body: FIXTURES['opportunity-update.1.json'] as string,
  },
  {
    event: 'OpportunityDelete',
    file: 'opportunity-delete.1.json',
    body: FIXTURES['opportunity-delete.1.json'] as string,
  },
  {
    event: 'OpportunityStatusUpdate',
    file: 'opportunity-status-update.1.json',
    body: FIXTURES['opportunity-status-update.1.json'] as string,
  },
  {
    event: 'OpportunityStageUpdate',
    file: 'opportunity-stage-update.1.json',
    body: FIXTURES['opportunity-stage-update.1.json'] as string,
  },
  {
    event: 'OpportunityMonetaryValueUpdate',
    file: 'opportunity-monetary-value-update.1.json',
    body: FIXTURES['opportunity-monetary-value-update.1.json'] as string,
  },
  {
    event: 'OpportunityAssignedToUpdate',
    file: 'opportunity-assigned-to-update.1.json',
    body: FIXTURES['opportunity-assigned-to-update.1.json'] as string,
  },
  {
    event: 'AppointmentCreate',
    file: 'appointment-create.1.json',
    body: FIXTURES['appointment-create.1.json'] as string,
  },
  {
    event: 'AppointmentUpdate',
    file: 'appointment-update.1.json',
    body: FIXTURES['appointment-update.1.json'] as string,
  },
  {
    event: 'AppointmentDelete',
    file: 'appointment-delete.1.json',
    body: FIXTURES['appointment-delete.1.json'] as string,
  },
  { event: 'TaskCreate', file: 'task-create.1.json', body: FIXTURES['task-create.1.json'] as string },
  { event: 'TaskComplete', file: 'task-complete.1.json', body: FIXTURES['task-complete.1.json'] as string },
  { event: 'TaskDelete', file: 'task-delete.1.json', body: FIXTURES['task-delete.1.json'] as string },
  { event: 'NoteCreate', file: 'note-create.1.json', body: FIXTURES['note-create.1.json'] as string },
  { event: 'NoteUpdate', file: 'note-update.1.json', body: FIXTURES['note-update.1.json'] as string },
  { event: 'NoteDelete', file: 'note-delete.1.json', body: FIXTURES['note-delete.1.json'] as string },
  { event: 'INSTALL', file: 'app-install.1.json', body: FIXTURES['app-install.1.json'] as string },
  { event: 'UNINSTALL', file: 'app-uninstall.1.json', body: FIXTURES['app-uninstall.1.json'] as string },
  { event: 'InboundMessage', file: 'inbound-message.1.json', body: FIXTURES['inbound-message.1.json'] as string },
  { event: 'InvoiceCreate', file: 'invoice-create.1.json', body: FIXTURES['invoice-create.1.json'] as string },
];
